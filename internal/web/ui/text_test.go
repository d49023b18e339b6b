package ui

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"leadbox/internal/web/i18n"
)

// TestUITranslations checks that every key a template or handler asks for
// is in the table, in both languages.
func TestUITranslations(t *testing.T) {
	keyRe := regexp.MustCompile(`\.T "([^"]+)"|i18n\.T\([a-zA-Z.]+, "([^"]+)"\)|"((?:nav|login|lead|source|password|settings|user|dash|error)\.[a-zA-Z.]+)"`)
	var missing []string
	filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, "_test.go") || !(strings.HasSuffix(p, ".html") || strings.HasSuffix(p, ".go")) {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, m := range keyRe.FindAllSubmatch(b, -1) {
			k := string(m[1]) + string(m[2]) + string(m[3])
			if ru, en, ok := i18n.Lookup(k); !ok || ru == "" || en == "" {
				missing = append(missing, p+": "+k)
			}
		}
		return nil
	})
	if len(missing) > 0 {
		t.Fatalf("keys without both translations:\n%s", strings.Join(missing, "\n"))
	}
}
