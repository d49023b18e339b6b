package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
)

// Reading API requests: bodies, path ids, query parameters.

// readBody reads the request body whole, refusing one over MaxBody or in a
// content type that is not JSON.
func readBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, lead.Errorf(lead.ETooLarge, "body", "Тело запроса больше %d КБ.", MaxBody>>10)
	case err != nil:
		return nil, lead.Errorf(lead.EMalformed, "body", "Не удалось прочитать тело запроса.")
	}
	// The API reads JSON only, however it is labelled (see intake.ReadBody).
	header := r.Header.Get("Content-Type")
	p, err := intake.ReadBody(header, body)
	if err != nil || p.Format != intake.FormatJSON {
		return nil, lead.Errorf(lead.EUnsupported, "Content-Type",
			"Тип содержимого %q не поддерживается, отправьте application/json в UTF-8.", header)
	}
	return p.JSON, nil
}

// form is a JSON object body of a reference-data request, read key by key so
// that each wrong value is a 422 naming its key.
type form struct {
	raw  map[string]json.RawMessage
	errs *lead.Error
}

// readForm reads a JSON object whose keys must all be in allowed.
func readForm(r *http.Request, allowed ...string) (*form, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	f := &form{}
	if err := decodeObject(body, &f.raw); err != nil {
		return nil, err
	}
	for k := range f.raw {
		if !slices.Contains(allowed, k) {
			f.fail(k, lead.MsgUnknownKey, k)
		}
	}
	return f, nil
}

// decodeObject unmarshals a body that must be one JSON object.
func decodeObject(body []byte, v any) error {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	if len(bytes.TrimSpace(body)) == 0 {
		return lead.Errorf(lead.EMalformed, "body", "Тело запроса пустое, ожидается JSON-объект.")
	}
	if !utf8.Valid(body) {
		return lead.Errorf(lead.EMalformed, "body", "Тело запроса должно быть в кодировке UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return lead.Errorf(lead.EMalformed, "body", "Тело запроса должно быть JSON-объектом.")
		}
		e := lead.Errorf(lead.EMalformed, "body", "Некорректный JSON: ошибка синтаксиса в позиции %d.", dec.InputOffset())
		e.Err = err
		return e
	}
	if dec.More() {
		return lead.Errorf(lead.EMalformed, "body", "Некорректный JSON: после объекта есть лишние данные (позиция %d).", dec.InputOffset())
	}
	if m, ok := v.(*map[string]json.RawMessage); ok && *m == nil {
		return lead.Errorf(lead.EMalformed, "body", "Тело запроса должно быть JSON-объектом.")
	}
	return nil
}

func (f *form) fail(key, format string, args ...any) {
	if f.errs == nil {
		f.errs = &lead.Error{Code: lead.EInvalid}
	}
	f.errs.Addf(key, format, args...)
}

// err returns the messages collected so far, or nil.
func (f *form) err() error {
	if f.errs == nil {
		return nil
	}
	return f.errs
}

func (f *form) has(key string) bool { _, ok := f.raw[key]; return ok }

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// str reads a string of at most max characters, trimmed; null and a missing
// key are nil.
func (f *form) str(key, label string, max int) *string {
	raw, ok := f.raw[key]
	if !ok || isNull(raw) {
		return nil
	}
	var v string
	if json.Unmarshal(raw, &v) != nil {
		f.fail(key, lead.MsgString, label)
		return nil
	}
	v = strings.TrimSpace(v)
	if utf8.RuneCountInString(v) > max {
		f.fail(key, lead.MsgMax, label, max)
		return nil
	}
	return &v
}

// required reads a string that must be present and not blank.
func (f *form) required(key, label string, max int) string {
	v := f.str(key, label, max)
	if v == nil || *v == "" {
		if f.errs == nil || !f.errs.Has(key) {
			f.fail(key, lead.MsgRequired, label)
		}
		return ""
	}
	return *v
}

// id reads a row id: a positive integer, or null.
func (f *form) id(key, label string) *int64 {
	raw, ok := f.raw[key]
	if !ok || isNull(raw) {
		return nil
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(raw)), 10, 64)
	if err != nil {
		f.fail(key, lead.MsgInteger, label)
		return nil
	}
	if n <= 0 {
		f.fail(key, lead.MsgExists, label)
		return nil
	}
	return &n
}

// integer reads an integer in [lo, hi].
func (f *form) integer(key, label string, lo, hi int) *int {
	raw, ok := f.raw[key]
	if !ok {
		return nil
	}
	n, err := strconv.Atoi(string(bytes.TrimSpace(raw)))
	if err != nil || n < lo || n > hi {
		f.fail(key, lead.MsgRange, label, lo, hi)
		return nil
	}
	return &n
}

// boolean reads true or false.
func (f *form) boolean(key, label string) *bool {
	raw, ok := f.raw[key]
	if !ok {
		return nil
	}
	var v bool
	if isNull(raw) || json.Unmarshal(raw, &v) != nil {
		f.fail(key, lead.MsgBoolean, label)
		return nil
	}
	return &v
}
