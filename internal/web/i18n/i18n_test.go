package i18n

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"leadbox/internal/lead"
)

var cyrillicRe = regexp.MustCompile(`\p{Cyrillic}`)

// TestTranslations fills every Russian template with sample values and
// checks the English comes back with the values in place and no Cyrillic.
func TestTranslations(t *testing.T) {
	verb := regexp.MustCompile(`%[sdq]`)
	for _, tr := range translations {
		var args []any
		for _, v := range verb.FindAllString(tr[0], -1) {
			switch v {
			case "%d":
				args = append(args, 42)
			case "%q":
				args = append(args, `a "b"`)
			default:
				args = append(args, "ID Офиса")
			}
		}
		ru := fmt.Sprintf(tr[0], args...)
		en := translateMessage(ru)
		if cyrillicRe.MatchString(en) {
			t.Errorf("%q → %q: still Russian", ru, en)
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
				t.Errorf("%q → %q: lost %q", ru, en, want)
			}
		}
	}
}

func TestTranslateExamples(t *testing.T) {
	for ru, en := range map[string]string{
		"Поле Телефон обязательно для заполнения.":                             "The Phone field is required.",
		"Значение поля ID Ответственного сотрудника должно быть целым числом.": "The Owner ID field must be an integer.",
		"Количество символов в поле Название не может превышать 255.":          "The Name field must not be greater than 255 characters.",
		"Выбранное значение для ID Клиента некорректно.":                       "The selected Client ID is invalid.",
		"Что-то новое.": "Что-то новое.", // no template: left as it is
	} {
		if got := translateMessage(ru); got != en {
			t.Errorf("%q → %q, want %q", ru, got, en)
		}
	}
	// Every lead field's label has an English twin.
	for _, f := range lead.Fields {
		if f.LabelEn == "" || cyrillicRe.MatchString(f.LabelEn) {
			t.Errorf("field %s: English label %q", f.Name, f.LabelEn)
		}
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
