package main

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func tarOf(t *testing.T, entries ...tar.Header) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, hdr := range entries {
		hdr := hdr
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write(bytes.Repeat([]byte("x"), int(hdr.Size)))
	}
	tw.Close()
	return buf.Bytes()
}

func TestUntarConfinesEntries(t *testing.T) {
	ws := useWorkspace(t)
	outside := filepath.Join(filepath.Dir(ws), "outside")
	os.Mkdir(outside, 0o755)
	os.Symlink(outside, filepath.Join(ws, "link-out"))

	err := untar(tarOf(t,
		tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755},
		tar.Header{Name: "./pkg/a/b.txt", Typeflag: tar.TypeReg, Mode: 0o600, Size: 3},
		tar.Header{Name: "pkg/link", Typeflag: tar.TypeSymlink, Linkname: "a/b.txt"},
		tar.Header{Name: "pkg/abs", Typeflag: tar.TypeSymlink, Linkname: ws + "/pkg/a"},
	), 100)
	if err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(ws, "pkg/link")); err != nil || string(data) != "xxx" {
		t.Fatalf("pkg/link: %q %v", data, err)
	}
	refused := map[string]tar.Header{
		"dotdot":             {Name: "../evil", Typeflag: tar.TypeReg},
		"nested dotdot":      {Name: "pkg/../../evil", Typeflag: tar.TypeReg},
		"absolute":           {Name: "/evil", Typeflag: tar.TypeReg},
		"symlink up":         {Name: "pkg/up", Typeflag: tar.TypeSymlink, Linkname: "../../evil"},
		"symlink absolute":   {Name: "pkg/etc", Typeflag: tar.TypeSymlink, Linkname: "/etc"},
		"through a symlink":  {Name: "link-out/evil", Typeflag: tar.TypeReg},
		"folder via symlink": {Name: "link-out/dir/", Typeflag: tar.TypeDir},
		"hard link":          {Name: "hard", Typeflag: tar.TypeLink, Linkname: "pkg/a/b.txt"},
		"device":             {Name: "dev", Typeflag: tar.TypeChar},
		"file over a folder": {Name: "pkg/a", Typeflag: tar.TypeReg},
	}
	for name, hdr := range refused {
		if err := untar(tarOf(t, hdr), 100); errCode(err) != "INVALID_PATH" {
			t.Errorf("%s: %v; want INVALID_PATH", name, err)
		}
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatalf("written outside the workspace: %v", entries)
	}
	if err := untar(tarOf(t, tar.Header{Name: "big", Typeflag: tar.TypeReg, Size: 101}), 100); errCode(err) != "LIMIT_EXCEEDED" {
		t.Fatalf("a file over maxFileBytes: %v", err)
	}
	if err := untar([]byte("not a tar archive, but long enough to have a header block?"), 100); errCode(err) != "BAD_REQUEST" {
		t.Fatalf("garbage: %v", err)
	}
}

func TestTarRoundTrip(t *testing.T) {
	ws := useWorkspace(t)
	os.MkdirAll(filepath.Join(ws, "app/src"), 0o755)
	os.WriteFile(filepath.Join(ws, "app/src/index.js"), []byte("console.log(1)"), 0o644)
	os.Symlink("src/index.js", filepath.Join(ws, "app/main.js"))
	archive, err := tarPaths([]string{"app"})
	if err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(ws, "app"))
	if err := untar(archive, 0); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(ws, "app/main.js")); err != nil || string(data) != "console.log(1)" {
		t.Fatalf("after the round trip: %q %v", data, err)
	}
	if _, err := tarPaths([]string{"../x"}); errCode(err) != "INVALID_PATH" {
		t.Fatalf("tar of ../x: %v", err)
	}
}
