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

const (
	msgPing = "Проверка связи прошла: вебхук работает. Лид не создан."
	msgSpam = "Заявка принята."
)
