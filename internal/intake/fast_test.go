package intake

import (
	"fmt"
	"math/rand/v2"
	"net/mail"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"leadbox/internal/lead"
)

// TestRussianMobileAgrees checks the fast path against libphonenumber on
// every shape it takes and many it must not: whatever it answers, the full
// parse answers the same.
func TestRussianMobileAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 2026))
	seps := []string{"", " ", "-", "(", ")", "  ", " (", ") ", "+", "--", "()", "\t", "."}
	prefixes := []string{"+7", "8", "7", "", "+8", "+79", "89", "+", "+ 7", "(+7)", "007", "+70", "80", "+7 0"}
	fast := 0
	for _, region := range []string{"RU", "KZ", "BY", "US"} {
		d := New(region)
		for i := 0; i < 20000; i++ {
			var b strings.Builder
			n := 8 + r.IntN(4)
			if r.IntN(2) == 0 { // the shapes the fast path takes, mostly
				b.WriteString([]string{"+7", "8", "7", ""}[r.IntN(4)])
				n = 10
			} else {
				b.WriteString(prefixes[r.IntN(len(prefixes))])
			}
			for j := 0; j < n; j++ {
				if r.IntN(3) == 0 {
					b.WriteString(seps[r.IntN(len(seps))])
				}
				if j == 0 && r.IntN(2) == 0 {
					b.WriteByte('9')
				} else {
					b.WriteByte(byte('0' + r.IntN(10)))
				}
			}
			s := b.String()
			got, ok := d.russianMobile(s)
			if !ok {
				continue
			}
			fast++
			want, wok := d.libPhone(s) // without the fast path: libphonenumber alone
			if !wok || got != want {
				t.Fatalf("region %s %q: fast %q, libphonenumber %q %v", region, s, got, want, wok)
			}
		}
	}
	if fast < 4000 {
		t.Errorf("only %d inputs took the fast path", fast)
	}
}

// TestPlainAddressAgrees checks that every address the fast path takes is
// one net/mail reads as itself.
func TestPlainAddressAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 7))
	alphabet := "aZ09._%+-.@!#'~ ёä\"<>(),;:[]\\"
	fast := 0
	for i := 0; i < 100000; i++ {
		n := 3 + r.IntN(20)
		b := make([]byte, 0, n)
		plain := r.IntN(2) == 0
		for j := 0; j < n; j++ {
			switch {
			case plain && j == n/2:
				b = append(b, '@')
			case plain && r.IntN(5) == 0:
				b = append(b, "._%+-."[r.IntN(6)])
			case plain:
				b = append(b, "abcXYZ019"[r.IntN(9)])
			case r.IntN(4) == 0:
				b = append(b, alphabet[r.IntN(len(alphabet))])
			default:
				b = append(b, byte('a'+r.IntN(26)))
			}
		}
		s := string(b)
		at := strings.IndexByte(s, '@')
		if at <= 0 || at != strings.LastIndexByte(s, '@') || !plainAddress(s[:at]) || !plainAddress(s[at+1:]) || !strings.Contains(s[at+1:], ".") {
			continue
		}
		fast++
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s || a.Name != "" {
			t.Fatalf("%q: fast path takes it, net/mail says %v %v", s, a, err)
		}
	}
	if fast < 1000 {
		t.Errorf("only %d addresses took the fast path", fast)
	}
}

func TestFieldsFit(t *testing.T) {
	if len(lead.Fields) > maxFields || len(lead.Fields) > 64 {
		t.Fatalf("%d lead fields: raise maxFields and the present mask", len(lead.Fields))
	}
}

// TestFastWalkAgrees runs fastWalkAgrees on every body of the field table
// and of the decoder's fuzz corpus.
func TestFastWalkAgrees(t *testing.T) {
	d := New("")
	var bodies [][]byte
	for _, tc := range fieldCases(t) {
		bodies = append(bodies, []byte(tc.body))
	}
	files, _ := filepath.Glob("testdata/fuzz/FuzzDecodeJSON/*")
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(raw), "\n") {
			if q, ok := strings.CutPrefix(line, "[]byte("); ok {
				if b, err := strconv.Unquote(strings.TrimSuffix(q, ")")); err == nil {
					bodies = append(bodies, []byte(b))
				}
			}
		}
	}
	if len(bodies) < 300 {
		t.Fatalf("%d bodies", len(bodies))
	}
	for _, b := range bodies {
		fastWalkAgrees(t, d, b, false)
		fastWalkAgrees(t, d, b, true)
	}
}

// fastWalkAgrees decodes body both ways, by slicing valid JSON and through
// encoding/json's Decoder: the answers are the same, field by field, extra
// fields and messages included.
func fastWalkAgrees(t *testing.T, d *Decoder, body []byte, patch bool) {
	t.Helper()
	fin, fp, ferr := d.decode(body, decodeOpts{patch: patch})
	sin, sp, serr := d.decode(body, decodeOpts{patch: patch, slow: true})
	if fmt.Sprint(ferr) != fmt.Sprint(serr) || fmt.Sprint(fp) != fmt.Sprint(sp) {
		t.Fatalf("%q: fast %v %v, slow %v %v", body, ferr, fp, serr, sp)
	}
	if ferr == nil && !reflect.DeepEqual(fin, sin) {
		t.Fatalf("%q:\nfast %+v\nslow %+v", body, fin, sin)
	}
}

// FuzzFastWalkAgrees is fastWalkAgrees on any body.
func FuzzFastWalkAgrees(f *testing.F) {
	f.Add([]byte(`{"phone":"79998888888","x":{"a" : [1, 2 ,{"b":"\u00e9"}]},"a\"b":1,"\u2028":2,"k\u0000":"v"}`), false)
	f.Add([]byte(" \t{\"email\":\"A.B+c@Mail.ru\",\"name\":\"  Иван \",\"cost\":\"0015000\",\"remoteId\":-0}\n"), true)
	d := New("")
	f.Fuzz(func(t *testing.T, body []byte, patch bool) { fastWalkAgrees(t, d, body, patch) })
}
