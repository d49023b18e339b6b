package intake

import (
	"errors"
	"fmt"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"leadbox/internal/lead"
)

// ReadBody reads a POST body by its content type: JSON however it is
// labelled (senders often send it as text/plain, with no type at all, or as
// a form, as curl -d does), form posts and multipart forms. A charset other
// than UTF-8 is read for the Cyrillic ones old sites still use; other types
// are refused rather than misread.
func ReadBody(header string, body []byte) (Payload, error) {
	if header == "" {
		return Payload{Format: FormatJSON, JSON: body}, nil
	}
	mt, params, err := mime.ParseMediaType(header)
	unsupported := lead.Errorf(lead.EUnsupported, "Content-Type",
		"Тип содержимого %q не поддерживается, отправьте application/json, application/x-www-form-urlencoded или multipart/form-data в UTF-8.", header)
	if err != nil {
		return Payload{}, unsupported
	}
	var cs Charset
	if name, ok := params["charset"]; ok {
		if cs, ok = charset(name); !ok {
			return Payload{}, unsupported
		}
	}
	switch {
	case mt == "application/json", mt == "text/json", mt == "text/plain", strings.HasSuffix(mt, "+json"),
		mt == "application/x-www-form-urlencoded" && looksLikeJSONObject(body):
		if cs != nil {
			if body, err = cs(body); err != nil {
				return Payload{}, unsupported
			}
			return Payload{Format: FormatJSON, JSON: body, Notes: []string{charsetNote(params["charset"])}}, nil
		}
		return Payload{Format: FormatJSON, JSON: body}, nil
	case mt == "application/x-www-form-urlencoded":
		return readForm(cs, params["charset"], func(cs Charset) (Payload, error) { return ReadForm(body, cs) })
	case mt == "multipart/form-data":
		return readForm(cs, params["charset"], func(cs Charset) (Payload, error) {
			return ReadMultipart(body, params["boundary"], cs)
		})
	}
	return Payload{}, unsupported
}

// Notes on the charset a form was read in, for the delivery log.
const (
	noteCharset  = "Кодировка: %s (указана в Content-Type)."
	noteDetected = "Кодировка: windows-1251 (в Content-Type не указана, текст не в UTF-8, определена по байтам)."
)

// readForm reads a form by read in the charset the request names. A form
// without a charset is read as UTF-8; when its bytes are not UTF-8 but read
// cleanly as windows-1251, it is read as that: browsers post a page's own
// charset without naming it, and old Russian sites are in windows-1251.
// KOI8-R is read only when named: its bytes would read as windows-1251 too.
func readForm(cs Charset, named string, read func(Charset) (Payload, error)) (Payload, error) {
	p, err := read(cs)
	switch {
	case err == nil && cs != nil:
		p.Notes = append(p.Notes, charsetNote(named))
	case err != nil && named == "":
		// A form that fails in UTF-8 and reads in windows-1251 failed for
		// its charset: its syntax is the same in both.
		if q, err1251 := read(clean1251); err1251 == nil {
			q.Notes = append(q.Notes, noteDetected)
			return q, nil
		}
	}
	return p, err
}

// clean1251 reads windows-1251 text that holds no byte the charset leaves
// undefined and no control character but tabs and line breaks: bytes that
// are neither UTF-8 nor such text are left to be refused.
func clean1251(b []byte) ([]byte, error) {
	out, err := charmap.Windows1251.NewDecoder().Bytes(b)
	if err != nil {
		return nil, err
	}
	for _, r := range string(out) {
		if r == utf8.RuneError || r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return nil, errNot1251
		}
	}
	return out, nil
}

func charsetNote(named string) string {
	return fmt.Sprintf(noteCharset, strings.ToLower(strings.Trim(strings.TrimSpace(named), `"`)))
}

var errNot1251 = errors.New("not windows-1251 text")

// charset returns the conversion to UTF-8 of a request's charset: none for
// UTF-8 itself, and the Cyrillic single-byte charsets old Russian sites'
// forms still use. Others are not read.
func charset(name string) (Charset, bool) {
	var cm *charmap.Charmap
	switch strings.ToLower(strings.Trim(strings.TrimSpace(name), `"`)) {
	case "utf-8", "utf8":
		return nil, true
	case "windows-1251", "cp1251", "cp-1251":
		cm = charmap.Windows1251
	case "koi8-r":
		cm = charmap.KOI8R
	default:
		return nil, false
	}
	return func(b []byte) ([]byte, error) { return cm.NewDecoder().Bytes(b) }, true
}

func looksLikeJSONObject(body []byte) bool {
	trimmed := strings.TrimLeft(string(body[:min(len(body), 64)]), " \t\r\n\ufeff")
	return strings.HasPrefix(trimmed, "{")
}
