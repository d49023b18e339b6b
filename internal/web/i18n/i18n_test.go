package i18n

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"leadbox/internal/lead"
)

var cyrillicRe = regexp.MustCompile(`\p{Cyrillic}`)

// TestTranslations fills every message template with sample values and
// checks the English comes back with the values in place and no Cyrillic.
func TestTranslations(t *testing.T) {
	for key, tr := range catalogue {
		if !strings.HasPrefix(key, "msg.") {
			continue
		}
		var args []any
		for _, v := range verbsOf(tr[0]) {
			switch v {
			case 'd':
				args = append(args, 42)
			case 'q':
				args = append(args, `a "b"`)
			default:
				args = append(args, "ID Офиса")
			}
		}
		e := lead.Errorf(lead.EInvalid, "f", tr[0], args...)
		en := Translate(e).Fields[0].Messages[0]
		if cyrillicRe.MatchString(en) {
			t.Errorf("%s: %q → %q: still Russian", key, e.Fields[0].Messages[0], en)
		}
		if got, want := verbsOf(tr[1]), verbsOf(tr[0]); string(got) != string(want) {
			t.Errorf("%s: English verbs %q, Russian %q", key, got, want)
		}
		for _, a := range args {
			want := fmt.Sprint(a)
			if want == "ID Офиса" {
				want = "Office ID"
			}
			if s, ok := a.(string); ok && strings.Contains(s, `"`) {
				want = fmt.Sprintf("%q", s)
			}
			if !strings.Contains(en, want) {
				t.Errorf("%s: %q → %q: lost %q", key, e.Fields[0].Messages[0], en, want)
			}
		}
	}
}

func TestTranslateExamples(t *testing.T) {
	e := lead.Invalid("phone", lead.MsgRequired)
	e.AddField("userIdOwner", lead.MsgInteger)
	e.Addf("name", lead.MsgMax, "Название", 255)
	e.Addf("clientId", lead.MsgExists, "ID Клиента")
	e.Add("server", lead.MsgUnavailable)
	e.Add("x", "Что-то новое.")              // not in the catalogue: left as it is
	e.Addf("key", lead.MsgUnknownKey, "Имя") // a key name that reads like a label is a label
	want := []string{
		"The Phone field is required.",
		"The Owner ID field must be an integer.",
		"The Name field must not be greater than 255 characters.",
		"The selected Client ID is invalid.",
		"The service is temporarily unavailable; retry later.",
		"Что-то новое.",
		"The field Name is not supported.",
	}
	en := Translate(e)
	var got []string
	for _, f := range en.Fields {
		got = append(got, f.Messages...)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The Russian stays as it was made: the webhook's contract.
	if m := e.Fields[0].Messages[0]; m != "Поле Телефон обязательно для заполнения." {
		t.Errorf("Russian %q", m)
	}
	// Every lead field's label has an English twin.
	for _, f := range lead.Fields {
		if f.LabelEn == "" || cyrillicRe.MatchString(f.LabelEn) {
			t.Errorf("field %s: English label %q", f.Name, f.LabelEn)
		}
	}
}

// TestCatalogueHoldsEveryMessage reads the code of the packages that make
// user-visible messages: every Russian sentence in it must be a message of
// the catalogue, so that it has a key and its English.
func TestCatalogueHoldsEveryMessage(t *testing.T) {
	sentence := regexp.MustCompile(`^\p{Lu}.*\p{Cyrillic}.*\.$`)
	known := map[string]bool{}
	for key, tr := range catalogue {
		if strings.HasPrefix(key, "msg.") {
			known[tr[0]] = true
		}
	}
	var missing []string
	for _, dir := range []string{"../../lead", "../../intake", "../../store", "../hook", "../api", "../respond", "../ratelimit", "../ui"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, p := range files {
			if strings.HasSuffix(p, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(token.NewFileSet(), p, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && sentence.MatchString(s) && !known[s] {
						missing = append(missing, p+": "+s)
					}
				}
				return true
			})
		}
	}
	if len(missing) > 0 {
		t.Errorf("messages not in the catalogue (internal/web/i18n/catalogue.go):\n%s", strings.Join(missing, "\n"))
	}
}

func TestWantsEnglish(t *testing.T) {
	for header, want := range map[string]bool{
		"":                        false,
		"en":                      true,
		"EN-us":                   true,
		"en-GB,en;q=0.9":          true,
		"ru":                      false,
		"ru-RU,ru;q=0.9,en;q=0.8": false,
		"de, en;q=0.5":            true,
		"en;q=0.3, ru;q=0.7":      false,
		"en;q=0":                  false,
		"fr":                      false,
	} {
		if got := WantsEnglish(header); got != want {
			t.Errorf("WantsEnglish(%q) = %v, want %v", header, got, want)
		}
	}
}
