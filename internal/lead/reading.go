package lead

import (
	"net/url"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Presets are the names of the ready field-name sets a source can read
// requests with; package intake defines them.
var Presets = []string{"leadbox", "tilda", "form", "marquiz", "flexbe", "lpgenerator", "creatium",
	"yandex_forms", "google_forms", "cf7", "elementor", "yandex_direct", "vk", "calltouch"}

// Limits on a source's reading settings.
const (
	MaxAliases       = 100
	MaxOrigins       = 50
	MaxRatePerMinute = 60000
	MaxQuietMinutes  = 30 * 24 * 60
)

// Messages of Reading.Check, in Russian like every message; the API
// translates them.
const (
	MsgPreset      = "Набор полей должен быть одним из: %s."
	MsgAliasName   = "Имя входящего поля в псевдониме должно быть от 1 до %d символов."
	MsgAliasTarget = "Псевдоним %q указывает на неизвестное поле лида %q."
	MsgAliasField  = "Поле %q уже является полем лида, псевдоним для него не нужен."
	MsgAliasCount  = "Псевдонимов не может быть больше %d."
	MsgOrigin      = "Источник запросов %q должен быть вида https://example.ru (схема, домен и порт, без пути) или *."
	MsgOrigins     = "Разрешённых источников запросов не может быть больше %d."
	MsgRedirect    = "Адрес страницы «спасибо» должен быть полным адресом http:// или https://."
	MsgHoneypot    = "Поле-ловушка должно быть именем поля формы до %d символов, которое не совпадает с полем лида."
	MsgCheckText   = "Поле %s должно быть строкой до %d символов без пробелов по краям."
)

// Check validates and tidies r (trims names, drops empty origins, sets the
// default preset), returning EInvalid with every bad setting.
func (r *Reading) Check() error {
	e := &Error{Code: EInvalid}
	r.Preset = strings.TrimSpace(r.Preset)
	if r.Preset == "" {
		r.Preset = Presets[0]
	}
	if !slices.Contains(Presets, r.Preset) {
		e.Addf("preset", MsgPreset, strings.Join(Presets, ", "))
	}
	if len(r.Aliases) > MaxAliases {
		e.Addf("aliases", MsgAliasCount, MaxAliases)
	}
	aliases := make(map[string]string, len(r.Aliases))
	for from, to := range r.Aliases {
		from, to = strings.TrimSpace(from), strings.TrimSpace(to)
		if from == "" || utf8.RuneCountInString(from) > MaxString {
			e.Addf("aliases", MsgAliasName, MaxString)
			continue
		}
		if FieldByName(from) != nil {
			e.Addf("aliases", MsgAliasField, from)
			continue
		}
		if to != "" && FieldByName(to) == nil {
			e.Addf("aliases", MsgAliasTarget, from, to)
			continue
		}
		aliases[from] = to
	}
	r.Aliases = aliases
	var origins []string
	for _, o := range r.CORSOrigins {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "" {
			continue
		}
		if !validOrigin(o) {
			e.Addf("corsOrigins", MsgOrigin, o)
			continue
		}
		if !slices.Contains(origins, o) {
			origins = append(origins, o)
		}
	}
	if len(origins) > MaxOrigins {
		e.Addf("corsOrigins", MsgOrigins, MaxOrigins)
	}
	r.CORSOrigins = origins
	r.RedirectURL = strings.TrimSpace(r.RedirectURL)
	if r.RedirectURL != "" {
		u, err := url.Parse(r.RedirectURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(r.RedirectURL) > 2048 {
			e.Addf("redirectUrl", MsgRedirect)
		}
	}
	r.Honeypot = strings.TrimSpace(r.Honeypot)
	if r.Honeypot != "" && (utf8.RuneCountInString(r.Honeypot) > 64 || FieldByName(r.Honeypot) != nil) {
		e.Addf("honeypot", MsgHoneypot, 64)
	}
	if r.RatePerMinute < 0 || r.RatePerMinute > MaxRatePerMinute {
		e.Addf("ratePerMinute", MsgRange, "ratePerMinute", 0, MaxRatePerMinute)
	}
	r.Confirmation, r.SenderSecret = strings.TrimSpace(r.Confirmation), strings.TrimSpace(r.SenderSecret)
	if utf8.RuneCountInString(r.Confirmation) > 64 {
		e.Addf("confirmation", MsgCheckText, "confirmation", 64)
	}
	if utf8.RuneCountInString(r.SenderSecret) > 64 {
		e.Addf("senderSecret", MsgCheckText, "senderSecret", 64)
	}
	if r.QuietMinutes < 0 || r.QuietMinutes > MaxQuietMinutes {
		e.Addf("quietMinutes", MsgRange, "quietMinutes", 0, MaxQuietMinutes)
	}
	if len(e.Fields) > 0 {
		return e
	}
	return nil
}

// validOrigin reports whether o is "*" or a browser origin: scheme, host and
// an optional port, nothing else.
func validOrigin(o string) bool {
	if o == "*" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		u.Path == "" && u.RawQuery == "" && u.Fragment == "" && u.User == nil && len(o) <= MaxString
}

// AllowsOrigin reports whether a browser on origin may post to the source
// from a script.
func (r *Reading) AllowsOrigin(origin string) bool {
	return slices.Contains(r.CORSOrigins, "*") || slices.Contains(r.CORSOrigins, origin)
}

// QuarantineStatuses are the rejections an admin may re-process once the
// reason is fixed: a body the source could not read, an origin not allowed,
// a GET before the source allowed it, a source switched off, a type not read
// then, fields that did not map, a rate limit.
var QuarantineStatuses = []int{400, 403, 405, 410, 415, 422, 429}

// Quarantined reports whether the request was rejected (or caught as spam),
// made no lead, and can still be re-processed into one: its whole body is
// kept and it is not an idempotent replay of another request.
func (d *Delivery) Quarantined() bool {
	return d.LeadID == nil && !d.BodyTruncated && !d.Replayed && d.Reprocessed == nil && d.Erased == nil &&
		(d.Mark == MarkSpam || slices.Contains(QuarantineStatuses, d.Status))
}

// SortedAliases lists a source's aliases by incoming name, for pages.
func SortedAliases(m map[string]string) [][2]string {
	out := make([][2]string, 0, len(m))
	for k, v := range m {
		out = append(out, [2]string{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}
