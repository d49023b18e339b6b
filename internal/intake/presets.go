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
	"tilda": newPreset(Preset{Name: "tilda", Title: "Tilda", TitleEn: "Tilda", Tilda: true,
		Howto: "В Tilda: Настройки сайта → Формы → Webhook, вставьте адрес источника. Tilda проверит его запросом test=test — leadbox ответит 200 и лид не создаст. Повторы одной заявки (одинаковый tranid) дают один лид."}, nil),
	"form": newPreset(Preset{Name: "form", Title: "HTML-форма", TitleEn: "Generic HTML form", Deep: true,
		Howto: "Укажите адрес источника в action формы (method=«post»). Поля с обычными именами (name, phone, email, utm_source…) читаются сами, в JSON — и на уровень глубже."}, nil),

	// Quiz and landing-page builders.
	"marquiz": newPreset(Preset{Name: "marquiz", Title: "Marquiz (квизы)", TitleEn: "Marquiz quizzes", Deep: true,
		Doc:   "https://help.marquiz.ru/article/174", // «Вебхуки»: JSON with contacts, answers, extra.utm, quiz
		Howto: "В Marquiz: квиз → Интеграции → Webhooks, вставьте адрес источника и нажмите «Отправить тестовые данные». Контакты берутся из contacts, метки — из extra.utm, ответы на вопросы остаются в доп. полях лида."},
		map[string]string{"contacts.name": "name", "contacts.phone": "phone", "contacts.email": "email",
			"extra.utm.source": "utmSource", "extra.utm.medium": "utmMedium", "extra.utm.campaign": "utmCampaign",
			"extra.utm.content": "utmContent", "extra.utm.term": "utmTerm", "extra.referrer": "referrer",
			"extra.ip": "ip"}),
	"flexbe": newPreset(Preset{Name: "flexbe", Title: "Flexbe", TitleEn: "Flexbe",
		Doc:   "https://help.flexbe.ru/webhook/", // form post: event=lead, data[client][…], data[utm][…], data[form_data][…]
		Howto: "В Flexbe: Настройки сайта → Интеграции → Webhook, вставьте адрес источника, событие «Новая заявка». Имя, телефон и почта берутся из data[client], метки — из data[utm]."},
		map[string]string{"data.client.name": "name", "data.client.phone": "phone", "data.client.email": "email",
			"data.utm.utm_source": "utmSource", "data.utm.utm_medium": "utmMedium", "data.utm.utm_campaign": "utmCampaign",
			"data.utm.utm_content": "utmContent", "data.utm.utm_term": "utmTerm"}),
	"lpgenerator": newPreset(Preset{Name: "lpgenerator", Title: "LPgenerator", TitleEn: "LPgenerator",
		Doc:   "https://help.lpgenerator.ru/", // «Webhook»: a form post of the form's fields, lead id, page and marks
		Howto: "В LPgenerator: страница → Настройки → Интеграции → Webhook, вставьте адрес источника. Поля формы с обычными именами (name, phone, email) и метки utm_* читаются сами; для своих имён добавьте псевдонимы."},
		nil),
	"creatium": newPreset(Preset{Name: "creatium", Title: "Creatium", TitleEn: "Creatium", Deep: true,
		Doc:   "https://help.creatium.io/", // «Webhook»: JSON with order.fields_by_name, visit (marks, ip), page
		Howto: "В Creatium: Настройки сайта → Заявки → Webhook, вставьте адрес источника. Поля заявки берутся из order.fields_by_name (Имя, Телефон, Email), метки и IP — из visit."},
		map[string]string{"order.fields_by_name.имя": "name", "order.fields_by_name.телефон": "phone",
			"order.fields_by_name.email": "email", "order.fields_by_name.e-mail": "email",
			"visit.utm_source": "utmSource", "visit.utm_medium": "utmMedium", "visit.utm_campaign": "utmCampaign",
			"visit.utm_content": "utmContent", "visit.utm_term": "utmTerm", "visit.referer": "referrer", "visit.ip": "ip"}),
	// Form services.
	"yandex_forms": newPreset(Preset{Name: "yandex_forms", Title: "Яндекс Формы", TitleEn: "Yandex Forms", Deep: true,
		Doc:   "https://yandex.ru/support/forms/ru/integration/post-request", // «HTTP-запрос»: the body is written by the admin
		Howto: "В Яндекс Формах: форма → Интеграции → «HTTP-запрос», метод POST, адрес источника, заголовок Content-Type: application/json, тело — JSON с переменными ответов: {\"name\": «Имя», \"phone\": «Телефон», \"email\": «Email»} (переменные вставляются кнопкой «{}»)."},
		nil),
	"google_forms": newPreset(Preset{Name: "google_forms", Title: "Google Формы (Apps Script)", TitleEn: "Google Forms (Apps Script)", Deep: true,
		Doc: "https://developers.google.com/apps-script/reference/forms/form-response", // FormResponse, UrlFetchApp
		Howto: "В Google Форме: ⋮ → Редактор скриптов, вставьте функцию onSubmit(e) { var d = {}; e.response.getItemResponses().forEach(function (r) { d[r.getItem().getTitle()] = r.getResponse(); }); " +
			"UrlFetchApp.fetch(\"АДРЕС_ИСТОЧНИКА\", {method: \"post\", contentType: \"application/json\", payload: JSON.stringify(d)}); }, затем Триггеры → «При отправке формы» → onSubmit. Вопросы «Имя», «Телефон», «Email» читаются сами."},
		nil),
	"cf7": newPreset(Preset{Name: "cf7", Title: "WordPress: Contact Form 7", TitleEn: "WordPress Contact Form 7",
		Doc:   "https://wordpress.org/plugins/cf7-to-zapier/", // CF7 to Webhook: the form's fields by their CF7 names
		Howto: "Установите плагин «CF7 to Webhook», в форме на вкладке Webhook включите отправку и вставьте адрес источника. Имена your-name, your-email, your-tel, your-phone читаются сами."},
		nil),
	"elementor": newPreset(Preset{Name: "elementor", Title: "WordPress: Elementor Forms", TitleEn: "WordPress Elementor Forms",
		Doc:   "https://elementor.com/help/actions-after-submit/", // Webhook action: labels, or fields[id][value] with «Advanced data»
		Howto: "В Elementor: форма → Actions After Submit → Webhook, вставьте адрес источника. Читаются и простые данные (подписи полей «Имя», «Телефон», «Email»), и «Advanced Data» (fields[name][value], meta[remote_ip][value])."},
		map[string]string{"fields.name.value": "name", "fields.phone.value": "phone", "fields.tel.value": "phone",
			"fields.email.value": "email", "meta.remote_ip.value": "ip", "remote ip": "ip", "meta.page_url.value": "referrer"}),
	// Ad platforms and call tracking.
	"yandex_direct": newPreset(Preset{Name: "yandex_direct", Title: "Яндекс Директ: лид-формы", TitleEn: "Yandex Direct lead forms", Deep: true,
		Doc:   "https://yandex.ru/support/direct/ru/products-lead-forms/integration", // webhook: JSON with the form's answers and the click's marks
		Howto: "В Директе: настройки лид-формы → передача заявок по вебхуку, вставьте адрес источника и отправьте тестовую заявку. Имя, телефон, почта (и на уровень глубже) и метка yclid читаются сами, остальные ответы остаются в доп. полях."},
		nil),
	"vk": newPreset(Preset{Name: "vk", Title: "VK Реклама: лид-формы (Callback API)", TitleEn: "VK lead ads (Callback API)",
		Doc:   "https://dev.vk.com/ru/api/community-events/json-schema", // lead_forms_new: object.answers[{key, question, answer}]
		Howto: "В сообществе VK: Управление → Работа с API → Callback API, вставьте адрес источника, на вкладке «Типы событий» включите «Лид-формы: новая заявка». Ответы берутся по ключам first_name, phone_number, email."},
		map[string]string{"object.answers.first_name.answer": "name", "object.answers.phone_number.answer": "phone",
			"object.answers.email.answer": "email"}),
	"calltouch": newPreset(Preset{Name: "calltouch", Title: "Calltouch (звонки и заявки)", TitleEn: "Calltouch calls and requests",
		Doc:   "https://www.calltouch.ru/support/otpravka-informatsii-o-zvonkakh-zayavkakh-chatakh-iz-calltouch-v-lyubuyu-sistemu-s-pomoshchyu-webhoo/",
		Howto: "В Calltouch: Интеграции → Отправка данных во внешние системы → Вебхуки, вставьте адрес источника, выберите события и параметры (callerphone, utm_*, yaClientId, url). Calltouch шлёт GET: включите ниже «Принимать GET-запросы»."},
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
