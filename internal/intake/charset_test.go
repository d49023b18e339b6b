package intake

import (
	"net/url"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"

	"leadbox/internal/lead"
)

// encode percent-encodes a form whose text is in cm.
func encode(t *testing.T, cm *charmap.Charmap, pairs ...string) []byte {
	t.Helper()
	var parts []string
	for i := 0; i < len(pairs); i += 2 {
		k, err1 := cm.NewEncoder().String(pairs[i])
		v, err2 := cm.NewEncoder().String(pairs[i+1])
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(v))
	}
	return []byte(strings.Join(parts, "&"))
}

func TestFormCharsets(t *testing.T) {
	d := New("")
	cp1251 := encode(t, charmap.Windows1251, "имя", "Василий Тёркин", "phone", "89990002233", "comment", "Ёлка №5 — «да»")
	koi8 := encode(t, charmap.KOI8R, "name", "Василий", "phone", "89990002233")
	multipart := func(body []byte) []byte {
		return []byte("--b\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n" + string(body) +
			"\r\n--b\r\nContent-Disposition: form-data; name=\"phone\"\r\n\r\n89990002233\r\n--b--\r\n")
	}
	w1251, _ := charmap.Windows1251.NewEncoder().Bytes([]byte("Пётр"))
	cases := []struct {
		name, ctype string
		body        []byte
		wantName    string
		note        string // a part of the delivery log's note; "" for none
		bad         bool
	}{
		{name: "windows-1251 without a charset is detected", ctype: "application/x-www-form-urlencoded", body: cp1251,
			wantName: "Василий Тёркин", note: "windows-1251 (в Content-Type не указана"},
		{name: "windows-1251 named", ctype: "application/x-www-form-urlencoded; charset=windows-1251", body: cp1251,
			wantName: "Василий Тёркин", note: "windows-1251 (указана"},
		{name: "KOI8-R named", ctype: "application/x-www-form-urlencoded; charset=KOI8-R", body: koi8,
			wantName: "Василий", note: "koi8-r"},
		{name: "KOI8-R without a charset is never guessed: it reads as windows-1251", ctype: "application/x-www-form-urlencoded",
			body: koi8, wantName: "чБУЙМЙК", note: "определена по байтам"},
		{name: "UTF-8 without a charset has no note", ctype: "application/x-www-form-urlencoded",
			body: []byte("name=%D0%90%D0%BD%D0%BD%D0%B0&phone=89990002233"), wantName: "Анна"},
		{name: "bytes undefined in windows-1251 are refused", ctype: "application/x-www-form-urlencoded",
			body: []byte("name=%98%C0&phone=89990002233"), bad: true},
		{name: "control bytes are refused", ctype: "application/x-www-form-urlencoded",
			body: []byte("name=%C0%01&phone=89990002233"), bad: true},
		{name: "UTF-8 named but windows-1251 sent is refused", ctype: "application/x-www-form-urlencoded; charset=utf-8",
			body: cp1251, bad: true},
		{name: "multipart in windows-1251 without a charset", ctype: "multipart/form-data; boundary=b",
			body: multipart(w1251), wantName: "Пётр", note: "определена по байтам"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := d.ReadRequest(Request{Method: "POST", ContentType: tc.ctype, Body: tc.body}, lead.Reading{Preset: "form"})
			if tc.bad {
				if err == nil {
					t.Fatalf("read %+v, want an error", r.Input)
				}
				return
			}
			if err != nil || r.Err != nil {
				t.Fatalf("%v %v", err, r.Err)
			}
			if r.Input.Name == nil || *r.Input.Name != tc.wantName {
				t.Errorf("name %v, want %q", r.Input.Name, tc.wantName)
			}
			notes := strings.Join(r.Notes, "\n")
			if tc.note == "" && notes != "" || !strings.Contains(notes, tc.note) {
				t.Errorf("notes %q, want %q", notes, tc.note)
			}
		})
	}
}

func TestCutFreeText(t *testing.T) {
	d := New("")
	long := strings.Repeat("я", 300)
	read := func(ctype, body, preset string) Read {
		t.Helper()
		r, err := d.ReadRequest(Request{Method: "POST", ContentType: ctype, Body: []byte(body)}, lead.Reading{Preset: preset})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	form := "application/x-www-form-urlencoded"
	t.Run("form name and marks are cut with a note", func(t *testing.T) {
		r := read(form, "name="+long+"&phone=89990002233&utm_campaign="+strings.Repeat("c", 256), "form")
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if n := []rune(*r.Input.Name); len(n) != 255 || string(n) != strings.Repeat("я", 255) {
			t.Errorf("name has %d characters", len(n))
		}
		if len(*r.Input.Marks.UTMCampaign) != 255 {
			t.Errorf("utmCampaign %d", len(*r.Input.Marks.UTMCampaign))
		}
		if notes := strings.Join(r.Notes, "\n"); !strings.Contains(notes, "name") || !strings.Contains(notes, "utmCampaign") {
			t.Errorf("notes %q", notes)
		}
	})
	t.Run("fields with a meaning are refused as before", func(t *testing.T) {
		for _, body := range []string{"phone=89990002233&email=" + strings.Repeat("a", 251) + "%40b.ru",
			"phone=89990002233&yclid=" + strings.Repeat("1", 256)} {
			if r := read(form, body, "form"); lead.ErrorCode(r.Err) != lead.EInvalid {
				t.Errorf("%.40s…: %v", body, r.Err)
			}
		}
	})
	t.Run("JSON by the contract is refused as before", func(t *testing.T) {
		r := read("application/json", `{"phone":"89990002233","name":"`+long+`"}`, "leadbox")
		if lead.ErrorCode(r.Err) != lead.EInvalid {
			t.Errorf("%v", r.Err)
		}
	})
	t.Run("JSON read by a preset is cut", func(t *testing.T) {
		r := read("application/json", `{"phone":"89990002233","Name":"`+long+`"}`, "form")
		if r.Err != nil || len([]rune(*r.Input.Name)) != 255 || len(r.Notes) != 1 {
			t.Errorf("%v %v", r.Err, r.Notes)
		}
	})
}
