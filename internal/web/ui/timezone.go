package ui

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// zoneChoices are the time zones the settings offer: Russia's from west to
// east, its neighbours', then UTC. The store takes any IANA name (the API
// and the CLI may set others); a zone set so is offered too.
var zoneChoices = []struct{ Name, City string }{
	{"Europe/Kaliningrad", "Калининград"}, {"Europe/Moscow", "Москва"}, {"Europe/Samara", "Самара"},
	{"Asia/Yekaterinburg", "Екатеринбург"}, {"Asia/Omsk", "Омск"}, {"Asia/Novosibirsk", "Новосибирск"},
	{"Asia/Krasnoyarsk", "Красноярск"}, {"Asia/Irkutsk", "Иркутск"}, {"Asia/Yakutsk", "Якутск"},
	{"Asia/Vladivostok", "Владивосток"}, {"Asia/Magadan", "Магадан"}, {"Asia/Kamchatka", "Камчатка"},
	{"Europe/Minsk", "Минск"}, {"Asia/Almaty", "Алматы"}, {"Asia/Tashkent", "Ташкент"}, {"Asia/Bishkek", "Бишкек"},
	{"Asia/Tbilisi", "Тбилиси"}, {"Asia/Yerevan", "Ереван"}, {"Asia/Baku", "Баку"}, {"Europe/Istanbul", "Стамбул"},
	{"Asia/Dubai", "Дубай"}, {"UTC", "UTC"},
}

// zoneOption is one choice of a time-zone select.
type zoneOption struct {
	Name, Label string
	Selected    bool
}

// zoneOptions lists zoneChoices with their offsets now ("Москва (UTC+3)"),
// current selected.
func (s *Server) zoneOptions(current string) []zoneOption {
	now := time.Now()
	label := func(name, city string) string {
		_, off := now.In(s.zone(name)).Zone()
		sign := "+"
		if off < 0 {
			sign, off = "−", -off
		}
		if off%3600 != 0 {
			return fmt.Sprintf("%s (UTC%s%d:%02d)", city, sign, off/3600, off%3600/60)
		}
		return fmt.Sprintf("%s (UTC%s%d)", city, sign, off/3600)
	}
	var out []zoneOption
	for _, z := range zoneChoices {
		out = append(out, zoneOption{Name: z.Name, Label: label(z.Name, z.City), Selected: z.Name == current})
	}
	if current != "" && !slices.ContainsFunc(zoneChoices, func(z struct{ Name, City string }) bool { return z.Name == current }) {
		out = append(out, zoneOption{Name: current, Label: label(current, current), Selected: true})
	}
	return out
}

// accountData is what the company settings page shows.
type accountData struct {
	Tabs      string
	Zone      string
	Zones     []zoneOption
	Retention int // days raw requests are kept; 0: forever
}

// handleAccount shows the company's settings: its time zone.
func (s *Server) handleAccount(w http.ResponseWriter, r *http.Request) {
	acct := sessionOf(r).User.AccountID
	tz, err := s.store.AccountTimezone(r.Context(), acct)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	days, err := s.store.AccountRetention(r.Context(), acct)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	d := accountData{Tabs: "account", Zone: tz, Zones: s.zoneOptions(tz), Retention: days}
	s.render(w, r, http.StatusOK, "account", s.newView(w, r, "settings", "settings.account", d))
}

// handleAccountEdit sets the company's time zone and how long raw requests
// are kept.
func (s *Server) handleAccountEdit(w http.ResponseWriter, r *http.Request) {
	acct := sessionOf(r).User.AccountID
	if err := s.store.SetAccountTimezone(r.Context(), acct, r.PostFormValue("timezone")); err != nil {
		s.formError(w, r, err, "/settings/account")
		return
	}
	if v, ok := r.PostForm["raw_retention_days"]; ok {
		days, err := strconv.Atoi(strings.TrimSpace(v[0]))
		if strings.TrimSpace(v[0]) == "" {
			days, err = 0, nil
		}
		if err != nil {
			days = -1 // the store's range message
		}
		if err := s.store.SetAccountRetention(r.Context(), acct, days); err != nil {
			s.formError(w, r, err, "/settings/account")
			return
		}
	}
	s.done(w, r, "/settings/account", "saved")
}

// profileData is what the user's own page shows besides the password form.
type profileData struct {
	Zones       []zoneOption
	AccountZone string // the zone "as the company" means
}

// handleUserZone sets the zone the user sees times in; "" follows the
// company's.
func (s *Server) handleUserZone(w http.ResponseWriter, r *http.Request) {
	u := sessionOf(r).User
	if err := s.store.SetUserTimezone(r.Context(), u.AccountID, u.ID, r.PostFormValue("timezone")); err != nil {
		s.formError(w, r, err, "/password")
		return
	}
	s.done(w, r, "/password", "saved")
}
