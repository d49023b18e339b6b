package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

const (
	// MaxWebhookBody is the largest request body the webhook reads.
	MaxWebhookBody = 64 << 10
	// maxIdemKey is the longest Idempotency-Key, in characters.
	maxIdemKey = 255
	// webhookTimeout bounds the storage work of one request, well inside the
	// server's write timeout, so a stuck database answers 503, not silence.
	webhookTimeout = 10 * time.Second
)

// handleWebhook creates a lead from a sender's request. Every request that
// names a real source ends in its delivery log, whatever the answer.
func (s *Server) handleWebhook(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), webhookTimeout)
	defer cancel()
	src, err := s.store.SourceByToken(ctx, r.PathValue("token"))
	if err != nil {
		if lead.ErrorCode(err) == lead.ENotFound {
			err = s.misses.miss(remoteHost(r)) // 404, or 429 for an address that keeps missing
		}
		s.error(w, r, err)
		return
	}
	req := webhookRequest{src: src, delivery: lead.Delivery{
		AccountID: src.AccountID, SourceID: src.ID, Method: r.Method,
		// Header values may hold any byte; the log's text columns take UTF-8 only.
		ContentType: strings.ToValidUTF8(r.Header.Get("Content-Type"), "\uFFFD"), RemoteAddr: remoteHost(r),
	}}
	a := s.webhook(ctx, r, &req)
	if a.replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	if a.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(a.retryAfter))
	}
	if a.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	writeJSON(w, a.status, a.body)
}

// answer is the webhook's reply to one request.
type answer struct {
	status     int
	body       []byte
	replayed   bool
	retryAfter int
}

// webhookRequest is one request to a source's URL as it is worked through.
type webhookRequest struct {
	src      lead.Source
	delivery lead.Delivery
	idem     *store.Idem
}

// webhook does the work of handleWebhook and returns the answer.
func (s *Server) webhook(ctx context.Context, r *http.Request, req *webhookRequest) answer {
	if err := s.checkRequest(r, req); err != nil {
		return s.reject(ctx, req, err)
	}
	if req.idem != nil {
		k := idemKey{req.src.ID, req.idem.Key}
		if !s.claim(k) {
			return s.reject(ctx, req, &lead.Error{Code: lead.EConflict, RetryAfter: 1, Fields: []lead.FieldError{{
				Field: "Idempotency-Key", Messages: []string{"Запрос с этим Idempotency-Key ещё обрабатывается, повторите позже."}}}})
		}
		defer s.release(k)
		if a, ok := s.replay(ctx, req); ok {
			return a
		}
	}
	in, err := s.decoder.DecodeJSON(req.delivery.Body)
	if err != nil {
		return s.reject(ctx, req, err)
	}
	out, err := s.store.CreateLead(ctx, store.Intake{
		Source: req.src, Input: in, Delivery: req.delivery, Idem: req.idem,
		Render: func(l *lead.Lead) ([]byte, error) {
			return marshal(struct {
				Data *lead.Lead `json:"data"`
			}{l})
		},
	})
	if err != nil {
		return s.reject(ctx, req, err)
	}
	if !out.Replayed {
		s.leadCreated(out.Lead)
	}
	return answer{status: out.Status, body: out.Body, replayed: out.Replayed}
}

// replay answers a request whose Idempotency-Key was seen before: with the
// stored answer, or a 422 when the key came with another body.
func (s *Server) replay(ctx context.Context, req *webhookRequest) (answer, bool) {
	out, err := s.store.FindIdempotent(ctx, req.src.ID, *req.idem)
	if err != nil {
		idem := req.idem
		req.idem = nil // the key belongs to the first request; don't store this answer under it
		a := s.reject(ctx, req, err)
		req.idem = idem
		return a, true
	}
	if out == nil {
		return answer{}, false
	}
	d := req.delivery
	d.Status, d.Replayed = out.Status, true
	if err := s.store.LogDelivery(ctx, req.src, d, nil, nil); err != nil {
		s.log.Error("delivery log write failed", "source", req.src.ID, "status", out.Status, "err", err)
	}
	return answer{status: out.Status, body: out.Body, replayed: true}, true
}

// checkRequest checks everything about a request but its fields, and reads
// its body into req.delivery.
func (s *Server) checkRequest(r *http.Request, req *webhookRequest) error {
	// Read first, so that even a rejected request is logged with its body.
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxWebhookBody))
	req.delivery.Body = body
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		req.delivery.BodyTruncated = true
		return lead.Errorf(lead.ETooLarge, "body", "Тело запроса больше %d КБ.", MaxWebhookBody>>10)
	case err != nil:
		return lead.Errorf(lead.EMalformed, "body", "Не удалось прочитать тело запроса.")
	}
	if r.Method != http.MethodPost {
		return &lead.Error{Code: lead.EMethod, Fields: []lead.FieldError{{Field: "method",
			Messages: []string{"Метод " + r.Method + " не поддерживается, используйте POST."}}}}
	}
	if !req.src.Enabled {
		return lead.Errorf(lead.EGone, "token", "Источник отключён.")
	}
	if ok, wait := s.limits.allow(req.src.ID, req.src.AccountID); !ok {
		e := lead.Errorf(lead.ERateLimited, "rate", "Слишком много запросов, повторите через %d с.", wait)
		e.RetryAfter = wait
		return e
	}
	if err := checkContentType(r.Header.Get("Content-Type"), body); err != nil {
		return err
	}
	if key := r.Header.Get("Idempotency-Key"); key != "" {
		if utf8.RuneCountInString(key) > maxIdemKey {
			return lead.Errorf(lead.EInvalid, "Idempotency-Key", lead.MsgMax, "Idempotency-Key", maxIdemKey)
		}
		if !utf8.ValidString(key) { // it is stored as text
			return lead.Errorf(lead.EInvalid, "Idempotency-Key", lead.MsgFormat, "Idempotency-Key")
		}
		sum := sha256.Sum256(body)
		req.idem = &store.Idem{Key: key, BodyHash: hex.EncodeToString(sum[:])}
		req.delivery.IdempotencyKey = &req.idem.Key
	}
	return nil
}

// checkContentType accepts JSON however it is labelled: senders often send it
// as text/plain, with no type at all, or as a form (curl -d does). A real
// form or another charset is refused rather than misread.
func checkContentType(header string, body []byte) error {
	if header == "" {
		return nil
	}
	mt, params, err := mime.ParseMediaType(header)
	unsupported := lead.Errorf(lead.EUnsupported, "Content-Type",
		"Тип содержимого %q не поддерживается, отправьте application/json в UTF-8.", header)
	if err != nil {
		return unsupported
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return unsupported
	}
	switch {
	case mt == "application/json", mt == "text/json", mt == "text/plain", strings.HasSuffix(mt, "+json"):
		return nil
	case mt == "application/x-www-form-urlencoded" && looksLikeJSONObject(body):
		return nil
	}
	return unsupported
}

func looksLikeJSONObject(body []byte) bool {
	trimmed := strings.TrimLeft(string(body[:min(len(body), 64)]), " \t\r\n\ufeff")
	return strings.HasPrefix(trimmed, "{")
}

// reject answers err and writes the request to the delivery log (and, for a
// final answer, under its Idempotency-Key).
func (s *Server) reject(ctx context.Context, req *webhookRequest, err error) answer {
	e := publicError(err)
	if e.Code == lead.EUnavailable {
		s.log.Error("webhook failed", "source", req.src.ID, "err", err)
	}
	status, body := errorBody(e)
	req.delivery.Status = status
	req.delivery.Errors = body
	idem := req.idem
	if e.Code == lead.EConflict {
		idem = nil // the first request's answer, not this one, is the key's
	}
	if err := s.store.LogDelivery(ctx, req.src, req.delivery, idem, body); err != nil {
		s.log.Error("delivery log write failed", "source", req.src.ID, "status", status, "err", err)
	}
	return answer{status: status, body: body, retryAfter: e.RetryAfter}
}
