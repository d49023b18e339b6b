package i18n

import (
	"strings"
	"testing"
)

func FuzzAcceptLanguage(f *testing.F) {
	for _, s := range []string{
		"", "en", "ru", "en-US,en;q=0.9,ru;q=0.8", "ru-RU,ru;q=0.9,en-US;q=0.8", "*", "en;q=0", "en;q=abc",
		"de-DE,de;q=0.9", "EN-gb;q=1.0, RU;q=1.0", "en;q=NaN", "en;q=1e400", "en;q=-1", strings.Repeat("en,", 1000),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		en := WantsEnglish(header)
		if en && !strings.Contains(strings.ToLower(header), "en") {
			t.Fatalf("WantsEnglish(%q) = true without an English tag", header)
		}
		if en != WantsEnglish(header) {
			t.Fatal("not deterministic")
		}
	})
}
