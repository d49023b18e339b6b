package hook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"leadbox/internal/lead"
	"leadbox/internal/store/storetest"
	"leadbox/internal/web/i18n"
	"leadbox/internal/web/webtest"
)

// TestSendersPresets posts each named sender's request (testdata/senders,
// written from its documentation) to a source with its preset, through the
// HTTP stack on both engines: the lead has the sender's contact and marks,
// the contract's answer keys, and the raw body byte for byte in the log.
func TestSendersPresets(t *testing.T) {
	cases := []struct {
		file, preset string
		allowGet     bool
		want         map[string]string // lead fields in the 201 answer
		extra        []string          // keys kept as extra fields
		note         string            // part of the delivery log's note
	}{
		{file: "marquiz", preset: "marquiz", want: map[string]string{"name": "Анна", "phone": "79161234567", "email": "anna@example.ru",
			"utmSource": "yandex", "utmCampaign": "sofa_quiz", "utmTerm": "угловой диван", "referrer": "https://yandex.ru/", "ip": "203.0.113.7"},
			extra: []string{"answers", "quiz", "contacts", "extra"}},
		{file: "flexbe", preset: "flexbe", want: map[string]string{"name": "Игорь", "phone": "79035551234", "email": "igor@example.ru",
			"utmSource": "vk", "utmCampaign": "autumn"}, extra: []string{"data[form_data][fld_1][value]", "event"}},
		{file: "lpgenerator", preset: "lpgenerator", want: map[string]string{"name": "Ольга Смирнова", "phone": "79261112233",
			"utmSource": "google", "ip": "198.51.100.4"}, extra: []string{"lead_id", "page_url"}},
		{file: "creatium", preset: "creatium", want: map[string]string{"name": "Дмитрий", "phone": "79057778899",
			"utmCampaign": "kitchen", "referrer": "https://yandex.ru/", "ip": "192.0.2.10"}, extra: []string{"order", "page"}},
		{file: "yandex_forms", preset: "yandex_forms", want: map[string]string{"name": "Светлана", "phone": "79993215476"},
			extra: []string{"Какой размер нужен?"}},
		{file: "google_forms", preset: "google_forms", want: map[string]string{"name": "Константин", "phone": "79161230099",
			"email": "kostya@example.ru"}, extra: []string{"Что интересует?"}},
		{file: "cf7_webhook", preset: "cf7", want: map[string]string{"name": "Сергей", "phone": "79161234567"},
			extra: []string{"your-subject", "your-message"}},
		{file: "contact_form7", preset: "cf7", want: map[string]string{"name": "Сергей", "email": "sergey@example.ru"}},
		{file: "elementor", preset: "elementor", want: map[string]string{"name": "Мария", "phone": "79850001122", "ip": "203.0.113.9",
			"referrer": "https://shop.example.ru/contacts/"}, extra: []string{"form[name]"}},
		{file: "elementor_simple", preset: "elementor", want: map[string]string{"name": "Мария", "phone": "79850001122",
			"email": "maria@example.ru", "ip": "203.0.113.9"}, extra: []string{"form_name", "Page URL"}},
		{file: "yandex_direct", preset: "yandex_direct", want: map[string]string{"name": "Алексей", "phone": "79161112233",
			"yclid": "6512345678901234567", "utmCampaign": "leadform_101"}, extra: []string{"fields", "lead_id"}},
		{file: "calltouch", preset: "calltouch", allowGet: true, want: map[string]string{"phone": "79031234567",
			"ymClientId": "1700000000123456789", "utmSource": "yandex"}, extra: []string{"phonenumber", "city"}},
		{file: "tilda_form", preset: "tilda", want: map[string]string{"name": "Иван Петров", "phone": "79991234567"}},
		{file: "form_cp1251_nocharset", preset: "form", want: map[string]string{"name": "Василий", "phone": "79990002233"},
			extra: []string{"comment"}, note: "windows-1251"},
		{file: "form_long_name", preset: "form", want: map[string]string{"phone": "79990002244"}, note: "name"},
	}
	named := map[string]bool{"vk": true} // TestSendersVK
	for _, tc := range cases {
		named[tc.preset] = true
	}
	for _, p := range lead.Presets {
		if !named[p] && p != "leadbox" {
			t.Errorf("preset %s has no request here", p)
		}
		if _, _, ok := i18n.Lookup("howto." + p); p != "leadbox" && !ok {
			t.Errorf("preset %s has no how-to", p)
		}
	}
	if len(lead.Presets) < 13 {
		t.Errorf("%d presets", len(lead.Presets))
	}
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		for _, tc := range cases {
			t.Run(tc.file, func(t *testing.T) {
				e := webtest.NewEnv(t, engine)
				setReading(e, t, &e.Src, lead.Reading{Preset: tc.preset, AllowGet: tc.allowGet})
				r := sendAs(e, t, e.Src, tc.file, "Accept", "application/json")
				if r.Status != 201 {
					t.Fatalf("status %d: %s", r.Status, r.Body)
				}
				l := webtest.DataOf(t, webtest.Decode(t, r.Body))
				if len(l) != len(webtest.LeadKeys) {
					t.Errorf("answer has %d keys, want the contract's %d", len(l), len(webtest.LeadKeys))
				}
				for k, v := range tc.want {
					if l[k] != v {
						t.Errorf("%s = %#v, want %q", k, l[k], v)
					}
				}
				d := lastDelivery(e, t, e.Src)
				if !bytes.Equal(d.Body, loadSender(t, tc.file).body) {
					t.Errorf("delivery log body differs from what was sent:\n%q", d.Body)
				}
				if !strings.Contains(d.Notes, tc.note) || tc.note == "" && d.Notes != "" {
					t.Errorf("notes %q, want %q", d.Notes, tc.note)
				}
				got, err := e.Store.GetLead(context.Background(), e.Acct.ID, webtest.Num(t, l["id"]))
				if err != nil {
					t.Fatal(err)
				}
				var extra map[string]any
				if len(tc.extra) > 0 {
					if err := json.Unmarshal(got.Extra, &extra); err != nil {
						t.Fatalf("extra %s: %v", got.Extra, err)
					}
				}
				for _, k := range tc.extra {
					if extra[k] == nil {
						t.Errorf("extra lacks %q: %s", k, got.Extra)
					}
				}
			})
		}
	})
}

// TestSendersVK covers what VK's Callback API expects: the confirmation
// request answered with the source's confirmation string, "ok" and 200 for
// each event, the secret key checked, and a repeated event one lead.
func TestSendersVK(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		ctx := context.Background()
		confirmation := []byte(`{"type":"confirmation","group_id":212345678}`)
		json := []string{"Content-Type", "application/json"}
		setReading(e, t, &e.Src, lead.Reading{Preset: "vk"})
		t.Run("confirmation before the source knows its string", func(t *testing.T) {
			r := e.Do(t, "POST", e.Hook(e.Src), confirmation, json...)
			if r.Status != 422 || !strings.Contains(string(r.Body), "confirmation") {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if d := lastDelivery(e, t, e.Src); d.Status != 422 || !d.Quarantined() {
				t.Errorf("delivery %+v", d)
			}
		})
		setReading(e, t, &e.Src, lead.Reading{Preset: "vk", Confirmation: "1a2b3c4d", SenderSecret: "s3cr3t"})
		t.Run("confirmation", func(t *testing.T) {
			r := e.Do(t, "POST", e.Hook(e.Src), confirmation, json...)
			if r.Status != 200 || string(r.Body) != "1a2b3c4d" || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/plain") {
				t.Fatalf("%d %q %q", r.Status, r.Body, r.Header.Get("Content-Type"))
			}
			if d := lastDelivery(e, t, e.Src); d.Mark != lead.MarkTest || d.LeadID != nil {
				t.Errorf("delivery %+v", d)
			}
		})
		t.Run("a lead, and VK's repeat of it", func(t *testing.T) {
			for i := 0; i < 2; i++ {
				r := sendAs(e, t, e.Src, "vk_lead")
				if r.Status != 200 || string(r.Body) != "ok" {
					t.Fatalf("attempt %d: %d %q", i, r.Status, r.Body)
				}
			}
			if n, _ := e.Store.CountLeads(ctx, e.Acct.ID); n != 1 {
				t.Fatalf("%d leads, want 1", n)
			}
			ds, err := e.Store.ListDeliveries(ctx, e.Acct.ID, e.Src.ID, 0, 2)
			if err != nil || len(ds) != 2 || !ds[0].Replayed || ds[1].LeadID == nil {
				t.Fatalf("deliveries %+v %v", ds, err)
			}
			l, err := e.Store.GetLead(ctx, e.Acct.ID, *ds[1].LeadID)
			if err != nil || l.Name == nil || *l.Name != "Павел" || l.Phone == nil || *l.Phone != "79210004455" {
				t.Fatalf("lead %+v %v", l, err)
			}
			if !bytes.Contains(l.Extra, []byte(`"answers"`)) {
				t.Errorf("extra %s", l.Extra)
			}
		})
		t.Run("an event that makes no lead is still ok, and kept", func(t *testing.T) {
			r := e.Do(t, "POST", e.Hook(e.Src), []byte(`{"type":"wall_post_new","object":{"id":1},"secret":"s3cr3t"}`), json...)
			if r.Status != 200 || string(r.Body) != "ok" {
				t.Fatalf("%d %q", r.Status, r.Body)
			}
			if d := lastDelivery(e, t, e.Src); d.Status != 422 || !d.Quarantined() {
				t.Errorf("delivery %+v", d)
			}
		})
		t.Run("a wrong secret is refused", func(t *testing.T) {
			body := bytes.Replace(loadSender(t, "vk_lead").body, []byte(`"s3cr3t"`), []byte(`"guess"`), 1)
			r := e.Do(t, "POST", e.Hook(e.Src), body, json...)
			if r.Status != 403 {
				t.Fatalf("%d %s", r.Status, r.Body)
			}
			if d := lastDelivery(e, t, e.Src); d.Status != 403 {
				t.Errorf("delivery %+v", d)
			}
		})
	})
}
