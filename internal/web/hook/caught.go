package hook

import (
	"context"
	"encoding/json"
	"net/http"

	"leadbox/internal/lead"
)

// caught answers the requests that are kept in the delivery log but make no
// lead: a form builder's connection check, and a bot that filled the
// honeypot field (kept, marked spam, for an admin to re-process if a person
// did fill it).
func (s *Server) caught(ctx context.Context, req *webhookRequest) (answer, bool) {
	var mark, msg string
	switch {
	case req.read.Confirm:
		return s.confirm(ctx, req), true
	case req.read.Ping:
		mark, msg = lead.MarkTest, msgPing
	case req.read.Spam:
		mark, msg = lead.MarkSpam, msgSpam
	default:
		return answer{}, false
	}
	body, _ := json.Marshal(struct {
		Data    *lead.Lead `json:"data"`
		Message string     `json:"message"`
	}{nil, msg})
	req.delivery.Status, req.delivery.Mark = http.StatusOK, mark
	if !s.logDelivery(ctx, req, nil, nil) {
		return answer{stale: true}, true
	}
	return answer{status: http.StatusOK, body: body}, true
}

// confirm answers a sender's connection check that wants the source's
// confirmation text back (VK's Callback API); kept in the log, marked as a
// check. A source without the text refuses it, saying what to set.
func (s *Server) confirm(ctx context.Context, req *webhookRequest) answer {
	if req.src.Confirmation == "" {
		req.read.OK = false // the admin must see why, and VK must not think it confirmed
		return s.reject(ctx, req, lead.Errorf(lead.EInvalid, "confirmation", msgNoConfirm))
	}
	req.delivery.Status, req.delivery.Mark = http.StatusOK, lead.MarkTest
	if !s.logDelivery(ctx, req, nil, nil) {
		return answer{stale: true}
	}
	return answer{status: http.StatusOK, body: []byte(req.src.Confirmation), text: true}
}

const (
	msgNoConfirm = "Источник не знает строку подтверждения: укажите её в настройках приёма заявок (поле «Ответ на проверку связи»)."
	msgPing      = "Проверка связи прошла: вебхук работает. Лид не создан."
	msgSpam      = "Заявка принята."
)
