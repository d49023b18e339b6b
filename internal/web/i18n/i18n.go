// Package i18n gives the API's and the UI's error messages in English: the
// messages are made in Russian where they arise, and a request or a user
// that prefers English gets them translated here.
package i18n

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"leadbox/internal/lead"
)

// English error messages for the API, for a request with Accept-Language: en.
// Messages are made in Russian where they arise; translate matches each
// against the Russian templates below and refills the English one, with
// field labels translated too. A message no template matches stays Russian.

// translations pairs each Russian message template with its English one.
// Verbs: %s a field label (translated), %d a number, %q a quoted string.
var translations = [][2]string{
	{lead.MsgRequired, "The %s field is required."},
	{lead.MsgInteger, "The %s field must be an integer."},
	{lead.MsgString, "The %s field must be a string."},
	{lead.MsgMax, "The %s field must not be greater than %d characters."},
	{lead.MsgEmail, "The %s field must be a valid email address."},
	{lead.MsgFormat, "The %s field format is invalid."},
	{lead.MsgExists, "The selected %s is invalid."},
	{lead.MsgRange, "The %s field must be an integer between %d and %d."},
	{lead.MsgPositive, "The %s field must be greater than 0."},
	{"Значение поля %s не может быть отрицательным.", "The %s field must not be negative."},
	{lead.MsgBoolean, "The %s field must be true or false."},
	{lead.MsgMinLen, "The %s field must be at least %d characters."},
	{lead.MsgUnknownKey, "The field %s is not supported."},
	{"Такое значение поля %s уже существует.", "The %s has already been taken."},

	{"Тело запроса должно быть в кодировке UTF-8.", "The request body must be UTF-8."},
	{"Тело запроса пустое, ожидается JSON-объект.", "The request body is empty; a JSON object is expected."},
	{"Тело запроса должно быть JSON-объектом.", "The request body must be a JSON object."},
	{"Некорректный JSON: ошибка синтаксиса в позиции %d.", "Malformed JSON: syntax error at offset %d."},
	{"Некорректный JSON: тело запроса обрывается до конца объекта.", "Malformed JSON: the body ends before the object does."},
	{"Некорректный JSON: после объекта есть лишние данные (позиция %d).", "Malformed JSON: extra data after the object (offset %d)."},
	{"Некорректный JSON: вложенность значений больше %d уровней.", "Malformed JSON: values are nested more than %d levels deep."},
	{"Ключ %q повторяется.", "The key %q appears more than once."},
	{"Не удалось прочитать тело запроса.", "The request body could not be read."},
	{"Тело запроса больше %d КБ.", "The request body is larger than %d KiB."},
	{"Тип содержимого %q не поддерживается, отправьте application/json в UTF-8.", "Content type %q is not supported; send application/json in UTF-8."},

	{"Нужен заголовок Authorization: Bearer <токен API>.", "An Authorization: Bearer <API token> header is required."},
	{"Неверный или отозванный токен API.", "The API token is invalid or revoked."},
	{"Слишком много запросов, повторите через %d с.", "Too many requests; retry in %d s."},
	{"Не найдено.", "Not found."},
	{"Страница не найдена.", "Page not found."},
	{"Метод %s не поддерживается, используйте %s.", "Method %s is not allowed; use %s."},
	{"Запись используется (лидами или источниками), её нельзя удалить.", "The record is in use (by leads or sources) and cannot be deleted."},
	{"Роль должна быть admin или manager.", "The role must be admin or manager."},
	{"Тип источника должен быть одним из: %s.", "The source type must be one of: %s."},
	{"Тип источника нельзя изменить.", "The source type cannot be changed."},
	{"Только у источника типа webhook есть URL.", "Only a webhook source has a URL."},
	{lead.MsgUnavailable, "The service is temporarily unavailable; retry later."},

	// Other senders (issue 5): forms, source reading settings, re-processing.
	{"Тип содержимого %q не поддерживается, отправьте application/json, application/x-www-form-urlencoded или multipart/form-data в UTF-8.",
		"Content type %q is not supported; send application/json, application/x-www-form-urlencoded or multipart/form-data in UTF-8."},
	{"Некорректные данные формы: %q не удаётся раскодировать.", "Malformed form data: %q cannot be decoded."},
	{"Данные формы должны быть в кодировке UTF-8 (поле %q).", "Form data must be UTF-8 (field %q)."},
	{"Запрос не содержит полей.", "The request has no fields."},
	{"Некорректные данные multipart/form-data: нет параметра boundary в Content-Type.", "Malformed multipart/form-data: the Content-Type has no boundary."},
	{"Некорректные данные multipart/form-data: части тела не удаётся разобрать.", "Malformed multipart/form-data: the parts of the body cannot be read."},
	{"Запросы со страниц %s этому источнику не разрешены.", "Requests from pages on %s are not allowed for this source."},
	{lead.MsgPreset, "The preset must be one of: %s."},
	{lead.MsgAliasName, "An alias's incoming name must be 1 to %d characters."},
	{lead.MsgAliasTarget, "The alias %q names an unknown lead field %q."},
	{lead.MsgAliasField, "%q is a lead field already; it needs no alias."},
	{lead.MsgAliasCount, "There can be at most %d aliases."},
	{lead.MsgOrigin, "The origin %q must look like https://example.ru (scheme, host and port, no path) or *."},
	{lead.MsgOrigins, "There can be at most %d allowed origins."},
	{lead.MsgRedirect, "The thank-you page must be a full http:// or https:// address."},
	{lead.MsgHoneypot, "The honeypot must be a form field name of up to %d characters that is not a lead field."},
	{"Этот запрос уже стал лидом или не может быть обработан повторно.", "This request has made a lead already or cannot be re-processed."},
	{"Отправитель уже повторил этот запрос, и лид по нему создан.", "The sender has retried this request and got a lead for it."},
	{"Значение поля aliases должно быть объектом {\"входящее имя\": \"поле лида\"}.", "The aliases field must be an object {\"incoming name\": \"lead field\"}."},
	{"Значение поля corsOrigins должно быть списком строк.", "The corsOrigins field must be a list of strings."},
	{"Значение поля status должно быть quarantined или пустым.", "The status field must be quarantined or empty."},
}

// labelsEn translates the labels messages name fields by that are not
// request fields of a lead (those come from lead.Fields).
var labelsEn = map[string]string{
	"Название":       "Name",
	"ID Клиента":     "Client ID",
	"Пароль":         "Password",
	"Роль":           "Role",
	"Тип":            "Type",
	"Цвет":           "Colour",
	"Позиция":        "Position",
	"Начало периода": "Period start",
	"Конец периода":  "Period end",
}

type translation struct {
	re    *regexp.Regexp
	verbs []byte // the verbs of the template, in order
	en    string
}

var compiledTranslations = func() []translation {
	verb := regexp.MustCompile(`%[sdq]`)
	out := make([]translation, 0, len(translations))
	for _, t := range translations {
		var verbs []byte
		parts := verb.Split(t[0], -1)
		for _, m := range verb.FindAllString(t[0], -1) {
			verbs = append(verbs, m[1])
		}
		var re strings.Builder
		re.WriteString("^")
		for i, p := range parts {
			re.WriteString(regexp.QuoteMeta(p))
			if i < len(verbs) {
				switch verbs[i] {
				case 'd':
					re.WriteString(`(-?\d+)`)
				case 'q':
					re.WriteString(`(".*")`)
				default:
					re.WriteString(`(.+?)`)
				}
			}
		}
		re.WriteString("$")
		out = append(out, translation{re: regexp.MustCompile(re.String()), verbs: verbs, en: t[1]})
	}
	return out
}()

// translateLabel returns a field label in English; an unknown one (a key
// name, a method) is returned as it is.
func translateLabel(label string) string {
	for _, f := range lead.Fields {
		if f.Label == label {
			return f.LabelEn
		}
	}
	if en, ok := labelsEn[label]; ok {
		return en
	}
	return label
}

// translateMessage returns msg in English, or msg when no template matches.
func translateMessage(msg string) string {
	for _, t := range compiledTranslations {
		m := t.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		args := make([]any, len(t.verbs))
		for i, v := range t.verbs {
			switch v {
			case 'd':
				n, _ := strconv.ParseInt(m[i+1], 10, 64)
				args[i] = n
			case 'q':
				s, err := strconv.Unquote(m[i+1])
				if err != nil {
					s = m[i+1]
				}
				args[i] = s
			default:
				args[i] = translateLabel(m[i+1])
			}
		}
		return fmt.Sprintf(t.en, args...)
	}
	return msg
}

// Translate returns a copy of e with its messages in English.
func Translate(e *lead.Error) *lead.Error {
	out := &lead.Error{Code: e.Code, RetryAfter: e.RetryAfter, Err: e.Err}
	for _, f := range e.Fields {
		for _, m := range f.Messages {
			out.Add(f.Field, translateMessage(m))
		}
	}
	return out
}

// WantsEnglish reports whether an Accept-Language header prefers English to
// Russian; Russian is the default.
func WantsEnglish(header string) bool {
	bestQ, en := -1.0, false
	for _, part := range strings.Split(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		tag = strings.ToLower(strings.TrimSpace(tag))
		base, _, _ := strings.Cut(tag, "-")
		if base != "en" && base != "ru" && tag != "*" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		if tag == "*" {
			continue
		}
		if q > bestQ {
			bestQ, en = q, base == "en"
		}
	}
	return en && bestQ > 0
}
