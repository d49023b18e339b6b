package ui

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"sort"
	"strings"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/web/i18n"
)

// leadKeys are the keys of a lead in the webhook's answer, in the seed's
// order; the card shows every one of them.
var leadKeys = strings.Fields(`id firstId name sourceId clientId phone email notAnswer userIdCreate userIdUpdate
	dtCreate dtUpdate dtNotAnswer locationUnitId locationCityId funnelStageId userIdOwner otherCount cost remoteId
	utmSource utmMedium utmCampaign utmContent utmTerm utmReferrer openstatService openstatCampaign openstatAd
	openstatSource from yclid ymclid ymClientId gclid yqrid fbclid roistatId referrer ip`)

// cardField is one line of the lead card: the key as sent, a label and the
// value as people read it (a name for an id, a date for a time).
type cardField struct {
	Key, Label, Value string
	Link              template.URL // built here from ids and digits only
}

// fieldLabel names a lead key in lang: our own table first, else the
// webhook's field label.
func fieldLabel(key, lang string) string {
	if t := i18n.T(lang, "field."+key); t != "field."+key {
		return t
	}
	if f := lead.FieldByName(key); f != nil {
		if lang == "en" {
			return f.LabelEn
		}
		return f.Label
	}
	return key
}

func (n *names) fields(l lead.Lead, lang string) []cardField {
	b, _ := json.Marshal(l)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	dec.Decode(&m)
	out := make([]cardField, 0, len(leadKeys))
	for _, k := range leadKeys {
		f := cardField{Key: k, Label: fieldLabel(k, lang)}
		var link string
		f.Value, link = n.value(k, m[k], lang)
		f.Link = template.URL(link)
		out = append(out, f)
	}
	return out
}

// value renders one lead value for reading.
func (n *names) value(key string, v any, lang string) (text, link string) {
	if v == nil {
		return "", ""
	}
	num, _ := v.(json.Number)
	id, _ := num.Int64()
	switch key {
	case "firstId":
		return "#" + num.String(), "/leads/" + num.String()
	case "sourceId":
		return name(n.source, &id), "/sources/" + num.String()
	case "userIdOwner", "userIdCreate", "userIdUpdate":
		return name(n.user, &id), ""
	case "locationUnitId":
		return name(n.office, &id), ""
	case "locationCityId":
		return name(n.city, &id), ""
	case "funnelStageId":
		if st, ok := n.stage[id]; ok {
			return st.Name, ""
		}
		return "#" + num.String(), ""
	case "clientId":
		return "#" + num.String(), ""
	case "dtCreate", "dtUpdate", "dtNotAnswer":
		loc := n.loc
		if loc == nil {
			loc = time.UTC
		}
		return formatTime(id, loc), ""
	case "phone":
		s := v.(string)
		return formatPhone(&s), "tel:+" + s
	case "notAnswer":
		if v == true {
			return i18n.T(lang, "yes"), ""
		}
		return i18n.T(lang, "no"), ""
	}
	return fmt.Sprint(v), ""
}

// eventRow is one entry of a lead's history as the card shows it.
type eventRow struct {
	At      int64
	Who     string
	Action  string
	Changes []change
}

type change struct{ Field, Old, New string }

func (n *names) events(es []lead.Event, lang string) []eventRow {
	out := make([]eventRow, 0, len(es))
	for i := len(es) - 1; i >= 0; i-- { // newest first
		e := es[i]
		row := eventRow{At: e.At, Who: name(n.user, e.UserID), Action: i18n.T(lang, "event."+e.Action)}
		if e.UserID == nil {
			row.Who = i18n.T(lang, "event.system")
		}
		if d, ok := e.Changes["delivery"]; ok && e.Action == "reprocess" {
			// The change holds the request's answer then and its id.
			row.Action = fmt.Sprintf(i18n.T(lang, "event.reprocess"), fmt.Sprint(jsonNumber(d[1])), fmt.Sprint(jsonNumber(d[0])))
			out = append(out, row)
			continue
		}
		keys := make([]string, 0, len(e.Changes))
		for k := range e.Changes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			c := e.Changes[k]
			old, _ := n.value(k, jsonNumber(c[0]), lang)
			new, _ := n.value(k, jsonNumber(c[1]), lang)
			row.Changes = append(row.Changes, change{Field: fieldLabel(k, lang), Old: old, New: new})
		}
		out = append(out, row)
	}
	return out
}

// jsonNumber turns the float64 a history value decodes to back into the
// json.Number value() reads.
func jsonNumber(v any) any {
	if f, ok := v.(float64); ok {
		return json.Number(fmt.Sprintf("%.0f", f))
	}
	return v
}
