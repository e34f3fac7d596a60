// A dev server for sandboxes without Node.js (the fleet suite's small image):
// answers every request with the headers it received, as JSON, and a
// WebSocket upgrade (HMR) with a real handshake and one text message.
package main

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"strings"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "websocket" {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
			buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + base64.StdEncoding.EncodeToString(sum[:]) + "\r\n\r\n")
			buf.Write(append([]byte{0x81, 13}, "hmr:connected"...))
			buf.Flush()
			_ = conn // held open until the reader closes it
			return
		}
		headers := map[string]string{"host": r.Host}
		for name := range r.Header {
			headers[strings.ToLower(name)] = r.Header.Get(name)
		}
		json.NewEncoder(w).Encode(headers)
	})
	port := os.Getenv("PORT")
	if port == "" {
		port = "3000"
	}
	http.ListenAndServe(":"+port, nil)
}
