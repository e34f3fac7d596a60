package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// useWorkspace points the agent at a temporary workspace for one test.
func useWorkspace(t *testing.T) string {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ws := filepath.Join(dir, "workspace")
	os.Mkdir(ws, 0o755)
	old := workspace
	workspace = ws
	t.Cleanup(func() { workspace = old })
	return ws
}

func errCode(err error) string {
	var oe *opError
	if errors.As(err, &oe) {
		return oe.Code
	}
	if err == nil {
		return ""
	}
	return "not an opError: " + err.Error()
}

func TestPathsAreConfined(t *testing.T) {
	ws := useWorkspace(t)
	os.MkdirAll(filepath.Join(ws, "src/lib"), 0o755)
	os.WriteFile(filepath.Join(ws, "src/lib/a.txt"), []byte("a"), 0o644)
	os.WriteFile(filepath.Join(filepath.Dir(ws), "secret"), []byte("outside"), 0o644)
	os.Symlink("src/lib", filepath.Join(ws, "lib"))
	os.Symlink(filepath.Join(ws, "src"), filepath.Join(ws, "abs-inside"))
	os.Symlink("../secret", filepath.Join(ws, "rel-out"))
	os.Symlink("/etc", filepath.Join(ws, "abs-out"))
	os.Symlink("src/../../secret", filepath.Join(ws, "sneaky"))
	os.Symlink("loop-b", filepath.Join(ws, "loop-a"))
	os.Symlink("loop-a", filepath.Join(ws, "loop-b"))
	os.Symlink("self", filepath.Join(ws, "self"))

	fine := map[string]string{
		"":                       "",
		".":                      "",
		"src/lib/a.txt":          "src/lib/a.txt",
		"./src//lib/./a.txt":     "src/lib/a.txt",
		"lib/a.txt":              "src/lib/a.txt",
		"abs-inside/lib/a.txt":   "src/lib/a.txt",
		"src/new/deeper/file.js": "src/new/deeper/file.js",
	}
	for p, want := range fine {
		r, err := resolve(p, true)
		if err != nil || r.rel != want {
			t.Errorf("resolve(%q) = %q, %v; want %q", p, r.rel, err, want)
		}
	}
	refused := []string{"..", "../secret", "src/../../secret", "src/..", "/etc/passwd", "/" + ws, "a\x00b",
		"rel-out", "abs-out/passwd", "sneaky", "loop-a", "loop-a/x", "self", "src/lib/a.txt/x"}
	for _, p := range refused {
		if _, err := resolve(p, true); errCode(err) != "INVALID_PATH" {
			t.Errorf("resolve(%q): %v; want INVALID_PATH", p, err)
		}
	}
	// Not following the last symlink (delete, tar) names the link itself.
	if r, err := resolve("rel-out", false); err != nil || r.rel != "rel-out" || !r.exists {
		t.Errorf("resolve(rel-out, false) = %+v, %v", r, err)
	}
}

func TestFileOpsRefuseEscapes(t *testing.T) {
	ws := useWorkspace(t)
	outside := filepath.Join(filepath.Dir(ws), "outside")
	os.Mkdir(outside, 0o755)
	os.Symlink(outside, filepath.Join(ws, "out"))
	if err := writeFile("out/x", 0, []byte("x")); errCode(err) != "INVALID_PATH" {
		t.Fatalf("write through a symlink out: %v", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "x")); err == nil {
		t.Fatal("a file was written outside the workspace")
	}
	if err := writeFile("dir/f.txt", 0, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, err := readFile("dir", 0); errCode(err) != "INVALID_PATH" {
		t.Fatalf("reading a folder: %v", err)
	}
	if _, err := readFile("nothing", 0); errCode(err) != "FILE_NOT_FOUND" {
		t.Fatalf("reading nothing: %v", err)
	}
	if err := deletePath("."); errCode(err) != "INVALID_PATH" {
		t.Fatalf("deleting the workspace: %v", err)
	}
	if err := deletePath("out"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Fatal("deleting a symlink removed its target")
	}
	// A folder swapped for a symlink after resolving is not followed when opened.
	if _, err := openDir("dir", false); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(filepath.Join(ws, "dir"))
	os.Symlink(outside, filepath.Join(ws, "dir"))
	if _, err := openDir("dir", false); errCode(err) != "INVALID_PATH" || !strings.Contains(err.Error(), "symlink") {
		t.Fatalf("openDir through a swapped-in symlink: %v", err)
	}
}
