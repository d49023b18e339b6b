package intake

import (
	"maps"
	"slices"
	"strings"
)

// Presets are the ready field-name sets, by name; lead.Presets lists them
// in the order pages show them. Each named sender's names come from its
// documentation, cited beside it; its test fixture is in
// internal/web/hook/testdata/senders.
var Presets = map[string]*Preset{
	"leadbox": newPreset(Preset{Name: "leadbox", Title: "leadbox / vionvi JSON", TitleEn: "leadbox / vionvi JSON",
		ExactJSON: true}, nil),
	"tilda": newPreset(Preset{Name: "tilda", Title: "Tilda", TitleEn: "Tilda", Tilda: true}, nil),
	"form":  newPreset(Preset{Name: "form", Title: "HTML-форма", TitleEn: "Generic HTML form", Deep: true}, nil),

	// Quiz and landing-page builders.
	"marquiz": newPreset(Preset{Name: "marquiz", Title: "Marquiz (квизы)", TitleEn: "Marquiz quizzes", Deep: true,
		Doc: "https://help.marquiz.ru/article/174"}, // «Вебхуки»: JSON with contacts, answers, extra.utm, quiz
		map[string]string{"contacts.name": "name", "contacts.phone": "phone", "contacts.email": "email",
			"extra.utm.source": "utmSource", "extra.utm.medium": "utmMedium", "extra.utm.campaign": "utmCampaign",
			"extra.utm.content": "utmContent", "extra.utm.term": "utmTerm", "extra.referrer": "referrer",
			"extra.ip": "ip"}),
	"flexbe": newPreset(Preset{Name: "flexbe", Title: "Flexbe", TitleEn: "Flexbe",
		Doc: "https://help.flexbe.ru/webhook/"}, // form post: event=lead, data[client][…], data[utm][…], data[form_data][…]
		map[string]string{"data.client.name": "name", "data.client.phone": "phone", "data.client.email": "email",
			"data.utm.utm_source": "utmSource", "data.utm.utm_medium": "utmMedium", "data.utm.utm_campaign": "utmCampaign",
			"data.utm.utm_content": "utmContent", "data.utm.utm_term": "utmTerm"}),
	"lpgenerator": newPreset(Preset{Name: "lpgenerator", Title: "LPgenerator", TitleEn: "LPgenerator",
		Doc: "https://help.lpgenerator.ru/"}, // «Webhook»: a form post of the form's fields, lead id, page and marks
		nil),
	"creatium": newPreset(Preset{Name: "creatium", Title: "Creatium", TitleEn: "Creatium", Deep: true,
		Doc: "https://help.creatium.io/"}, // «Webhook»: JSON with order.fields_by_name, visit (marks, ip), page
		map[string]string{"order.fields_by_name.имя": "name", "order.fields_by_name.телефон": "phone",
			"order.fields_by_name.email": "email", "order.fields_by_name.e-mail": "email",
			"visit.utm_source": "utmSource", "visit.utm_medium": "utmMedium", "visit.utm_campaign": "utmCampaign",
			"visit.utm_content": "utmContent", "visit.utm_term": "utmTerm", "visit.referer": "referrer", "visit.ip": "ip"}),
	// Form services.
	"yandex_forms": newPreset(Preset{Name: "yandex_forms", Title: "Яндекс Формы", TitleEn: "Yandex Forms", Deep: true,
		Doc: "https://yandex.ru/support/forms/ru/integration/post-request"}, // «HTTP-запрос»: the body is written by the admin
		nil),
	"google_forms": newPreset(Preset{Name: "google_forms", Title: "Google Формы (Apps Script)", TitleEn: "Google Forms (Apps Script)", Deep: true,
		Doc: "https://developers.google.com/apps-script/reference/forms/form-response"}, // FormResponse, UrlFetchApp
		nil),
	"cf7": newPreset(Preset{Name: "cf7", Title: "WordPress: Contact Form 7", TitleEn: "WordPress Contact Form 7",
		Doc: "https://wordpress.org/plugins/cf7-to-zapier/"}, // CF7 to Webhook: the form's fields by their CF7 names
		nil),
	"elementor": newPreset(Preset{Name: "elementor", Title: "WordPress: Elementor Forms", TitleEn: "WordPress Elementor Forms",
		Doc: "https://elementor.com/help/actions-after-submit/"}, // Webhook action: labels, or fields[id][value] with «Advanced data»
		map[string]string{"fields.name.value": "name", "fields.phone.value": "phone", "fields.tel.value": "phone",
			"fields.email.value": "email", "meta.remote_ip.value": "ip", "remote ip": "ip", "meta.page_url.value": "referrer"}),
	// Ad platforms and call tracking.
	"yandex_direct": newPreset(Preset{Name: "yandex_direct", Title: "Яндекс Директ: лид-формы", TitleEn: "Yandex Direct lead forms", Deep: true,
		Doc: "https://yandex.ru/support/direct/ru/products-lead-forms/integration"}, // webhook: JSON with the form's answers and the click's marks
		nil),
	"vk": newPreset(Preset{Name: "vk", Title: "VK Реклама: лид-формы (Callback API)", TitleEn: "VK lead ads (Callback API)", VK: true,
		Doc: "https://dev.vk.com/ru/api/community-events/json-schema"}, // lead_forms_new: object.answers[{key, question, answer}]
		map[string]string{"object.answers.first_name.answer": "name", "object.answers.phone_number.answer": "phone",
			"object.answers.email.answer": "email"}),
	"calltouch": newPreset(Preset{Name: "calltouch", Title: "Calltouch (звонки и заявки)", TitleEn: "Calltouch calls and requests",
		Doc: "https://www.calltouch.ru/support/otpravka-informatsii-o-zvonkakh-zayavkakh-chatakh-iz-calltouch-v-lyubuyu-sistemu-s-pomoshchyu-webhoo/"},
		map[string]string{"callerphone": "phone", "yaclientid": "ymClientId", "phonenumber": ""}), // phonenumber: the tracked line, not the caller
}

// newPreset returns p reading the common names and names on top (keys
// lower-cased; a key with dots is a path into nested JSON).
func newPreset(p Preset, names map[string]string) *Preset {
	p.Names = commonNames
	if len(names) > 0 {
		p.Names = maps.Clone(commonNames)
		for k, v := range names {
			k = strings.ToLower(k)
			p.Names[k] = v
			if isPath(k) {
				p.paths = append(p.paths, pathAlias{segs: strings.Split(k, "."), field: v, fold: true})
			}
		}
		sortPaths(p.paths)
	}
	return &p
}

// sortPaths orders paths by their text, so that of two paths to one field
// the same one always wins.
func sortPaths(ps []pathAlias) {
	slices.SortFunc(ps, func(a, b pathAlias) int {
		return strings.Compare(strings.Join(a.segs, "."), strings.Join(b.segs, "."))
	})
}
