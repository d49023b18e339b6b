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
