package intake

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"leadbox/internal/lead"
)

// decodeCase is one body and what DecodeJSON must make of it: the input on
// success, or the error's code and its exact JSON.
type decodeCase struct {
	name    string
	body    string
	want    lead.Input
	code    lead.Code // checked only when errJSON is set
	errJSON string
}

const phone = "79998888888"

func sp(s string) *string { return &s }
func ip(n int64) *int64   { return &n }

// errJSON is the exact answer body of an EInvalid error with one message.
func invalidJSON(t *testing.T, field, format string, args ...any) string {
	t.Helper()
	b, err := json.Marshal(lead.Invalid(field, format, args...))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func runDecodeCases(t *testing.T, cases []decodeCase) {
	t.Helper()
	d := New("")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := d.DecodeJSON([]byte(tc.body))
			if tc.errJSON == "" {
				if err != nil {
					t.Fatalf("DecodeJSON(%s): unexpected error %v", tc.body, err)
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("DecodeJSON(%s)\n got %s\nwant %s", tc.body, dump(got), dump(tc.want))
				}
				return
			}
			checkError(t, err, tc.code, tc.errJSON)
		})
	}
}

func checkError(t *testing.T, err error, code lead.Code, wantJSON string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %s", wantJSON)
	}
	var e *lead.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T is not a *lead.Error", err)
	}
	if got := lead.ErrorCode(err); got != code {
		t.Errorf("code %d, want %d", got, code)
	}
	b, _ := json.Marshal(e)
	if wantJSON != "*" && string(b) != wantJSON {
		t.Errorf("error JSON\n got %s\nwant %s", b, wantJSON)
	}
}

func dump(in lead.Input) string {
	var b strings.Builder
	for _, f := range lead.Fields {
		if p := f.String(&in); p != nil && *p != nil {
			fmt.Fprintf(&b, "%s=%q ", f.Name, **p)
		}
		if p := f.Int(&in); p != nil && *p != nil {
			fmt.Fprintf(&b, "%s=%d ", f.Name, **p)
		}
	}
	fmt.Fprintf(&b, "extra=%s", in.Extra)
	return b.String()
}

// fieldCases has rows for every request field: a valid value, the leniency
// rules for its kind and each wrong type. Each body carries a phone (or an
// email, for the phone rows) so only the field under test can fail.
func fieldCases(t *testing.T) []decodeCase {
	var cases []decodeCase
	for _, f := range lead.Fields {
		body := func(v string) string {
			if f.Name == "phone" {
				return `{"email":"a@b.ru","phone":` + v + `}`
			}
			return `{"phone":"` + phone + `","` + f.Name + `":` + v + `}`
		}
		want := func(set func(in *lead.Input)) lead.Input {
			in := lead.Input{Phone: sp(phone)}
			if f.Name == "phone" {
				in = lead.Input{Email: sp("a@b.ru")}
			}
			if set != nil {
				set(&in)
			}
			return in
		}
		ok := func(name, v string, set func(in *lead.Input)) {
			cases = append(cases, decodeCase{name: f.Name + "/" + name, body: body(v), want: want(set)})
		}
		bad := func(name, v, format string, args ...any) {
			cases = append(cases, decodeCase{name: f.Name + "/" + name, body: body(v),
				code: lead.EInvalid, errJSON: invalidJSON(t, f.Name, format, args...)})
		}
		for _, v := range []string{`null`, `""`, `"  \t\n "`} {
			ok("OKAbsent", v, nil)
		}
		if f.Kind == lead.KindInt {
			intFieldCases(f, ok, bad)
			continue
		}
		val := "x"
		switch f.Name {
		case "phone":
			val = phone
		case "email":
			val = "a@b.ru"
		}
		str := func(s string) func(*lead.Input) { return func(in *lead.Input) { *f.String(in) = sp(s) } }
		ok("OK", `"`+val+`"`, str(val))
		ok("OKTrimmed", `"  `+val+"\\t\\n"+`"`, str(val))
		if f.Name != "email" {
			ok("OKNumber", "79998888888", str("79998888888"))
		}
		if f.Name != "phone" && f.Name != "email" {
			long := strings.Repeat("я", f.MaxLen)
			ok("OKMaxLength", `"`+long+`"`, str(long))
			bad("ErrTooLong", `"`+long+`я"`, lead.MsgMax, f.MaxLen)
		}
		for _, v := range []string{`true`, `false`, `{}`, `["x"]`, `{"a":"x"}`} {
			bad("ErrString", v, lead.MsgString)
		}
	}
	return cases
}

// intFieldCases adds the rows of an int field through ok and bad.
func intFieldCases(f lead.Field, ok func(string, string, func(*lead.Input)), bad func(string, string, string, ...any)) {
	num := func(n int64) func(*lead.Input) { return func(in *lead.Input) { *f.Int(in) = ip(n) } }
	ok("OK", `7`, num(7))
	ok("OKNumericString", `" 7 "`, num(7))
	ok("OKExactFraction", `7.0`, num(7))
	ok("OKExponent", `7e2`, num(700))
	ok("OKExactFractionString", `"700.00"`, num(700))
	ok("OKLarge", `9223372036854775807`, num(9223372036854775807))
	for _, v := range []string{`7.5`, `"7.5"`, `9223372036854775808`, `"abc"`, `"7abc"`, `"0x10"`, `"1/2"`, `"1_000"`, `"1 000"`,
		`true`, `false`, `{}`, `[]`, `[7]`, `1e-2`, `1e31`, `"1e31"`, `"Infinity"`, `"NaN"`} {
		bad("ErrInteger", v, lead.MsgInteger)
	}
	switch {
	case isReference(f.Name):
		bad("ErrZero", `0`, lead.MsgExists)
		bad("ErrNegative", `-7`, lead.MsgExists)
	case f.Name == "cost":
		ok("OKZero", `0`, num(0))
		bad("ErrNegative", `-7`, msgNegative)
	default:
		ok("OKNegative", `-9223372036854775808`, num(-9223372036854775808))
	}
}

func TestDecodeJSONFields(t *testing.T) {
	runDecodeCases(t, fieldCases(t))
}

func TestDecodeJSONFieldsCovered(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range fieldCases(t) {
		seen[strings.Split(tc.name, "/")[0]] = true
	}
	for _, f := range lead.Fields {
		if !seen[f.Name] {
			t.Errorf("no rows for field %s", f.Name)
		}
	}
}
