package intake

import (
	"mime"
	"strings"

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
		}
		return Payload{Format: FormatJSON, JSON: body}, nil
	case mt == "application/x-www-form-urlencoded":
		return ReadForm(body, cs)
	case mt == "multipart/form-data":
		return ReadMultipart(body, params["boundary"], cs)
	}
	return Payload{}, unsupported
}

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
