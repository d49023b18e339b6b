package lead

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
)

// Code says what kind of failure an Error is; the web layer maps each code to
// one HTTP status in one table.
type Code int

const (
	EInternal     Code = iota // a bug or an unexpected failure; never shown in detail
	EInvalid                  // the request is well formed but a field is wrong (422)
	EMalformed                // the body is not a JSON object (400)
	ENotFound                 // no such thing (404)
	EGone                     // the thing exists but is switched off (410)
	EMethod                   // wrong HTTP method (405)
	ETooLarge                 // the body is over the limit (413)
	EUnsupported              // the content type is not one we read (415)
	ERateLimited              // too many requests (429)
	EConflict                 // the same request is still being processed (409)
	EUnavailable              // storage is unavailable (503)
	EUnauthorized             // missing or bad credentials (401)
	EForbidden                // authenticated but not allowed (403)
)

// FieldError is the list of messages for one field.
type FieldError struct {
	Field    string
	Messages []string // in Russian, the webhook's language
	texts    []Text   // the same messages as templates and arguments, for other languages
}

// Text returns the i-th message as its template and arguments, for saying
// it in another language; a message added as plain text is a Text of its
// own.
func (f FieldError) Text(i int) Text {
	if i < len(f.texts) {
		return f.texts[i]
	}
	return Text{Format: f.Messages[i], plain: true}
}

// Error is leadbox's one error type: a code, user-safe messages keyed by field
// (in the order they were added) and, for some codes, how long to wait.
type Error struct {
	Code       Code
	Fields     []FieldError
	RetryAfter int   // seconds; for ERateLimited, EConflict and EUnavailable
	Err        error // the cause, for logs only
}

// Errorf returns an Error of code with one message for field: format (a
// template of the message catalogue, in Russian) filled with args.
func Errorf(code Code, field, format string, args ...any) *Error {
	e := &Error{Code: code}
	e.Addf(field, format, args...)
	return e
}

// Addf appends a message for field: format (a template of the message
// catalogue, in Russian) filled with args. The template and the arguments
// are kept, so that the message can be said in another language.
func (e *Error) Addf(field, format string, args ...any) {
	e.AddText(field, Text{Format: format, Args: args})
}

// Add appends a message for field as plain text, keeping the order fields
// were first seen. Prefer Addf: only a message the catalogue holds whole
// can be said in another language.
func (e *Error) Add(field, msg string) {
	e.AddText(field, Text{Format: msg, plain: true})
}

// AddText appends a message for field.
func (e *Error) AddText(field string, t Text) {
	msg := t.String()
	for i := range e.Fields {
		if f := &e.Fields[i]; f.Field == field {
			// A FieldError written as a literal has no texts: keep them in step.
			for len(f.texts) < len(f.Messages) {
				f.texts = append(f.texts, Text{Format: f.Messages[len(f.texts)], plain: true})
			}
			f.Messages = append(f.Messages, msg)
			f.texts = append(f.texts, t)
			return
		}
	}
	e.Fields = append(e.Fields, FieldError{Field: field, Messages: []string{msg}, texts: []Text{t}})
}

// Has reports whether field has a message.
func (e *Error) Has(field string) bool {
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

func (e *Error) Error() string {
	var b strings.Builder
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Field + ": " + strings.Join(f.Messages, " "))
	}
	if e.Err != nil {
		if b.Len() > 0 {
			b.WriteString(": ")
		}
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// MarshalJSON renders {"errors": {FIELD: [MESSAGE, ...]}} with the fields in
// the order they were added.
func (e *Error) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"errors":{`)
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSON(&b, f.Field)
		b.WriteByte(':')
		writeJSON(&b, f.Messages)
	}
	b.WriteString(`}}`)
	return b.Bytes(), nil
}

func writeJSON(b *bytes.Buffer, v any) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)       // strings and string slices always encode
	b.Truncate(b.Len() - 1) // Encode's newline
}

// ErrorCode returns the code of err: an *Error's own, EInternal otherwise.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// Messages in Russian, worded as the CRM of the seed page words them (the
// Russian translation of Laravel's validation messages).
const (
	MsgRequired = "Поле %s обязательно для заполнения."
	MsgInteger  = "Значение поля %s должно быть целым числом."
	MsgString   = "Значение поля %s должно быть строкой."
	MsgMax      = "Количество символов в поле %s не может превышать %d."
	MsgEmail    = "Значение поля %s должно быть действительным электронным адресом."
	MsgFormat   = "Значение поля %s имеет некорректный формат."
	MsgExists   = "Выбранное значение для %s некорректно."
	MsgRange    = "Значение поля %s должно быть целым числом от %d до %d."
	MsgPositive = "Значение поля %s должно быть больше 0."
)

// Invalid returns an EInvalid error with one message for the request field
// named name, the message being format filled with the field's label.
func Invalid(name, format string, args ...any) *Error {
	e := &Error{Code: EInvalid}
	e.AddField(name, format, args...)
	return e
}

// AddField adds a message for the request field named name, filling format's
// first verb with the field's label.
func (e *Error) AddField(name, format string, args ...any) {
	label := name
	if f := FieldByName(name); f != nil {
		label = f.Label
	}
	e.Addf(name, format, append([]any{label}, args...)...)
}
