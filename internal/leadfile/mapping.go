package leadfile

import (
	"encoding/json"
	"strings"
	"unicode"

	"leadbox/internal/lead"
)

// An import's column mapping names, for each column, where its values go:
// a lead field by its webhook name, Comment, Extra (kept on the lead under
// the column's header) or Skip.
const (
	Skip    = "-"
	Extra   = "+"
	Comment = "comment" // not a lead field: the webhook's reading keeps it as an extra field
)

// Columns that name a source, a funnel stage or an owner as people write
// them — «Сайт», «В работе», «Анна Петрова» or anna@example.ru — as files
// exported from another CRM do. The importer finds what they name among the
// account's own; they never reach the webhook's reading.
const (
	SourceName = "@source"
	StageName  = "@stage"
	OwnerName  = "@owner"
)

// Target is a place a column can go, for the mapping form.
type Target struct {
	Key, Label, LabelEn string
}

// Targets lists the places a column can go, in the order the form shows
// them.
var Targets = func() []Target {
	out := []Target{{Skip, "— не загружать —", "— skip —"}, {Extra, "Доп. поле (под своим заголовком)", "Extra field (under its header)"}}
	for _, name := range []string{"name", "phone", "email"} {
		f := lead.FieldByName(name)
		out = append(out, Target{f.Name, f.Label, f.LabelEn})
	}
	out = append(out, Target{Comment, "Комментарий", "Comment"},
		Target{SourceName, "Источник (по названию)", "Source (by name)"},
		Target{StageName, "Этап воронки (по названию)", "Funnel stage (by name)"},
		Target{OwnerName, "Ответственный (имя или email)", "Owner (name or email)"})
	for _, f := range lead.Fields {
		if f.Kind == lead.KindString && f.Name != "name" && f.Name != "phone" && f.Name != "email" || f.Name == "cost" || f.Name == "remoteId" {
			out = append(out, Target{f.Name, f.Label, f.LabelEn})
		}
	}
	return out
}()

// guesses maps a header, lower-cased with everything but letters and
// digits taken out, to its target.
var guesses = map[string]string{
	"имя": "name", "фио": "name", "name": "name", "fullname": "name", "контакт": "name", "контактноелицо": "name",
	"клиент": "name", "firstname": "name",
	"телефон": "phone", "тел": "phone", "phone": "phone", "tel": "phone", "telephone": "phone", "mobile": "phone",
	"мобильный": "phone", "мобильныйтелефон": "phone", "номертелефона": "phone", "phonenumber": "phone", "рабочийтелефон": "phone",
	"email": "email", "еmail": "email", "mail": "email", "почта": "email", "электроннаяпочта": "email", "емейл": "email",
	"рабочийemail": "email",
	"комментарий":  Comment, "коммент": Comment, "comment": Comment, "comments": Comment, "примечание": Comment,
	"note": Comment, "notes": Comment, "сообщение": Comment, "message": Comment, "вопрос": Comment, "описание": Comment,
	"сумма": "cost", "бюджет": "cost", "cost": "cost", "amount": "cost", "budget": "cost", "суммабюджет": "cost",
	"referrer": "referrer", "реферер": "referrer", "источникперехода": "referrer",
	"внешнийid": "remoteId", "remoteid": "remoteId",
	"источник": SourceName, "source": SourceName, "источниклида": SourceName, "каналпродаж": SourceName,
	"этап": StageName, "этапворонки": StageName, "статус": StageName, "статуслида": StageName, "стадия": StageName,
	"stage": StageName, "status": StageName,
	"ответственный": OwnerName, "ответственныйменеджер": OwnerName, "менеджер": OwnerName, "owner": OwnerName,
	"responsible": OwnerName, "manager": OwnerName,
	// An export's own columns that a new lead takes from elsewhere.
	"id": Skip, "создан": Skip, "created": Skip, "датасоздания": Skip, "первыйлидконтакта": Skip, "недозвон": Skip,
	"допполя": Skip,
}

// Guess returns the target a column's header most likely means; a header
// it does not know is kept as an extra field.
func Guess(header string) string {
	key := strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return unicode.ToLower(r)
		}
		return -1
	}, header)
	if t, ok := guesses[key]; ok {
		return t
	}
	for _, f := range lead.Fields {
		if strings.EqualFold(key, f.Name) || strings.EqualFold(key, strings.ReplaceAll(strings.ToLower(f.Name), "_", "")) {
			return f.Name
		}
	}
	if key == "" {
		return Skip
	}
	return Extra
}

// Object turns one row into the JSON object a webhook sender would send for
// it, by the mapping (a target per column): the lead is then read by the
// webhook's own rules. Empty cells are left out.
func Object(header, row, mapping []string) ([]byte, error) {
	obj := map[string]string{}
	for i, target := range mapping {
		if i >= len(row) || i >= len(header) || row[i] == "" || target == Skip || target == "" || isName(target) {
			continue
		}
		key := target
		if target == Extra {
			key = header[i]
		}
		if key == "" {
			continue
		}
		if prev, ok := obj[key]; ok { // two columns into one field: keep both
			obj[key] = prev + "\n" + row[i]
			continue
		}
		obj[key] = row[i]
	}
	return json.Marshal(obj)
}

func isName(target string) bool {
	return target == SourceName || target == StageName || target == OwnerName
}

// NamedCells returns what one row's columns mapped to SourceName, StageName and
// OwnerName hold, by target; an empty cell is left out.
func NamedCells(row, mapping []string) map[string]string {
	var out map[string]string
	for i, target := range mapping {
		if i >= len(row) || !isName(target) {
			continue
		}
		if v := strings.TrimSpace(row[i]); v != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[target] = v
		}
	}
	return out
}
