package ui

import (
	"math/rand/v2"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// TestFormatPhoneMobile: the short way a Russian mobile is written agrees
// with libphonenumber's for every operator prefix and random subscribers;
// other numbers still go through it.
func TestFormatPhoneMobile(t *testing.T) {
	r := rand.New(rand.NewPCG(18, 5))
	for i := range 20_000 {
		s := "79" + string(rune('0'+i%10)) + string(rune('0'+i/10%10))
		for range 7 {
			s += string(rune('0' + r.IntN(10)))
		}
		num, err := phonenumbers.Parse("+"+s, "")
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if got, want := formatPhone(&s), phonenumbers.Format(num, phonenumbers.INTERNATIONAL); got != want {
			t.Fatalf("%s: %q, want %q", s, got, want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"74951234567", "+7 495 123-45-67"},
		{"380441234567", "+380 44 123 4567"},
		{"7999", "+7 999"},              // libphonenumber's, as before
		{"79x91234567", "+7 991234567"}, // libphonenumber's, as before
	} {
		if got := formatPhone(&c.in); got != c.want {
			t.Errorf("%s: %q, want %q", c.in, got, c.want)
		}
	}
}
