package intake

import (
	"crypto/subtle"
	"strings"

	"leadbox/internal/lead"
)

// VK's Callback API (https://dev.vk.com/ru/api/callback/getting-started):
// the community's server is confirmed by answering {"type":"confirmation"}
// with the confirmation string VK shows; every event carries the
// community's secret key in "secret" when one is set; the server answers
// each event with the text "ok" and 200, or VK sends it again. A lead
// form's event is lead_forms_new, its object's lead_id the lead's id.

// msgSecret refuses a request whose secret is not the source's.
const msgSecret = "Секретный ключ запроса не совпадает с ключом источника."

// vkRead fills what a request on the vk preset needs beyond its fields: a
// confirmation request is a connection check, a lead's id makes VK's
// repeats one lead. It fails when the source has a secret the request
// does not carry.
func vkRead(p *Payload, rd lead.Reading, out *Read) error {
	typ, _ := p.Get("type")
	// The confirmation gives away only the string VK itself shows, so it is
	// answered whether or not VK puts the secret in it.
	if rd.SenderSecret != "" && typ != "confirmation" {
		got, _ := p.Get("secret")
		if subtle.ConstantTimeCompare([]byte(got), []byte(rd.SenderSecret)) != 1 {
			return lead.Errorf(lead.EForbidden, "secret", msgSecret)
		}
	}
	switch typ {
	case "confirmation":
		out.Confirm = true
	case "lead_forms_new":
		if obj, ok := lookupPath(p.JSON, []string{"object"}, false); ok {
			group, _ := jsonMember(obj, "group_id")
			id, _ := jsonMember(obj, "lead_id")
			if id = strings.TrimSpace(id); id != "" && len(id) <= 40 && len(group) <= 40 {
				out.IdemKey = "vk-lead:" + group + ":" + id
			}
		}
	}
	return nil
}
