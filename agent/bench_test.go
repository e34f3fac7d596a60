//go:build container

package main

import (
	"os/exec"
	"testing"
)

// go test -tags container -run '^$' -bench . : a command's round trip through the
// agent (spawn, output, exit event) against `docker exec` of the same command in
// the same container, measured in the same run.
func BenchmarkSpawnThroughAgent(b *testing.B) {
	s := startSandbox(b, baseImage)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if code, out := s.run("echo", "hi"); code != 0 || out != "hi\n" {
			b.Fatalf("%d %q", code, out)
		}
	}
}

func BenchmarkDockerExec(b *testing.B) {
	s := startSandbox(b, baseImage)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if out, err := exec.Command("docker", "exec", s.name, "echo", "hi").Output(); err != nil || string(out) != "hi\n" {
			b.Fatalf("%v %q", err, out)
		}
	}
}
