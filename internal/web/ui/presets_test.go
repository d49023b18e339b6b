package ui_test

import (
	"testing"

	"leadbox/internal/store/storetest"
	"leadbox/internal/web/webtest"
)

// TestUIPresetsHowto shows an admin every named sender in the source page's
// preset list, with how to connect it.
func TestUIPresetsHowto(t *testing.T) {
	storetest.ForEachEngine(t, func(t *testing.T, engine string) {
		e := webtest.NewEnv(t, engine)
		webtest.SetPasswords(t, e)
		admin := webtest.Login(t, e, "admin@example.com")
		r := admin.Get("/sources/" + webtest.ID(e.Src.ID))
		webtest.WantBody(t, r, "Как подключить отправителя", `<option value="marquiz">Marquiz (квизы)</option>`,
			`<option value="vk">VK Реклама: лид-формы (Callback API)</option>`, `id="howto-calltouch"`,
			"В Marquiz: квиз → Интеграции → Webhooks", "Callback API, вставьте адрес источника",
			`href="https://help.marquiz.ru/article/174"`)
	})
}
