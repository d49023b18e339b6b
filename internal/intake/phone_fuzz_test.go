package intake

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzNormalizePhone feeds the phone normaliser anything a sender or a
// search box may hold. A number it accepts must be digits within
// libphonenumber's lengths and a fixed point: normalising "+"+n again gives
// n, or two leads of one customer would not be found as duplicates.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{
		"79998888888", "+7 (999) 888-88-88", "8 999 888 88 88", "8-800-555-35-35",
		"+7 999 888-88-88 доб. 12", "+7 999 888 88 88 ext 5", "tel:+7-999-888-88-88", "9998888888",
		"+380 44 123 4567", "+1 (415) 555-2671", "+44 20 7946 0958", "+86 10 1234 5678",
		"1234567", "12", "", " ", "abc", "++79998888888", "+0", "+", "00 7 999 888 88 88",
		"８９９９８８８８８８８", "+7\u00a0999\u00a0888\u00a088\u00a088", "٧٩٩٩٨٨٨٨٨٨٨",
		strings.Repeat("9", 300), strings.Repeat("+7", 100), "+7 999 888 88 88;ext=" + strings.Repeat("1", 50),
		"7999\xff8888888", "+7 (999) 888-88-88\x00",
	} {
		f.Add(s)
	}
	d := New("RU")
	f.Fuzz(func(t *testing.T, s string) {
		n, ok := d.NormalizePhone(s)
		if !ok {
			if n != "" {
				t.Fatalf("refused %q but returned %q", s, n)
			}
			return
		}
		// Not E.164's 15: libphonenumber takes national numbers of up to 17
		// digits (Japan's 16-digit +81 numbers are possible ones).
		if n == "" || !allDigits(n) || len(n) > 3+17 || !utf8.ValidString(n) {
			t.Fatalf("NormalizePhone(%q) = %q, want 1 to 20 digits", s, n)
		}
		again, ok := d.NormalizePhone("+" + n)
		if !ok || again != n {
			t.Fatalf("NormalizePhone(%q) = %q, but NormalizePhone(%q) = %q, %v", s, n, "+"+n, again, ok)
		}
	})
}
