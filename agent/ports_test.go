package main

import (
	"fmt"
	"testing"
)

func TestParseProcNetTCP(t *testing.T) {
	tcp := []byte(`  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:10E1 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1 0000000000000000 100 0 0 10 0
   1: 00000000:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 2 1 0000000000000000 100 0 0 10 0
   2: 0100007F:10E1 0100007F:D431 01 00000000:00000000 00:00000000 00000000  1000        0 3 1 0000000000000000 20 4 30 10 -1
   3: garbage
`)
	tcp6 := []byte(`  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F40 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4 1 0000000000000000 100 0 0 10 0
   1: 00000000000000000000000001000000:1435 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 5 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 6 1 0000000000000000 100 0 0 10 0
`)
	got := fmt.Sprint(parseProcNetTCP(tcp), parseProcNetTCP(tcp6))
	want := "[{127.0.0.1 4321} {0.0.0.0 3000}] [{:: 8000} {::1 5173} {127.0.0.1 8080}]"
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestParseStat(t *testing.T) {
	info, ok := parseStat([]byte("42 (a (weird) name) S 7 42 42 0 -1 4194560"))
	if !ok || info.ppid != 7 || info.zombie {
		t.Fatalf("%+v %v", info, ok)
	}
	info, ok = parseStat([]byte("43 (sh) Z 1 43 43 0"))
	if !ok || info.ppid != 1 || !info.zombie {
		t.Fatalf("%+v %v", info, ok)
	}
	if _, ok := parseStat([]byte("44 (truncated")); ok {
		t.Fatal("a truncated stat line parsed")
	}
}
