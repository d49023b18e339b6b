package hook

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"leadbox/internal/intake"
	"leadbox/internal/lead"
	"leadbox/internal/store"
	"leadbox/internal/web/respond"
)

const (
	// MaxBody is the largest request body the webhook reads.
	MaxBody = 64 << 10
	// maxIdemKey is the longest Idempotency-Key, in characters.
	maxIdemKey = 255
	// webhookTimeout bounds the storage work of one request, so that with the
	// delivery-log write after it every sender has its answer within 5 s:
	// form builders (Tilda) wait 5 s, then retry, which would duplicate a
	// lead saved a moment too late. A stuck database answers 503.
	webhookTimeout = 3 * time.Second
	// logTimeout bounds the delivery-log write of a rejected request, which
	// gets its own time so that a request that ran out of time is logged too.
	logTimeout = 1500 * time.Millisecond
)

// ServeHTTP creates a lead from a sender's request. Every request that
// names a real source ends in its delivery log, whatever the answer.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), webhookTimeout)
	defer cancel()
	src, err := s.store.SourceByToken(ctx, r.PathValue("token"))
	if err != nil {
		if lead.ErrorCode(err) == lead.ENotFound {
			err = s.misses.Miss(respond.RemoteHost(r)) // 404, or 429 for an address that keeps missing
		}
		respond.Error(s.log, w, r, err)
		return
	}
	respond.SetSource(w, src.ID)
	if r.Method == http.MethodOptions {
		s.preflight(w, r, src)
		return
	}
	// Read first, so that even a rejected request is logged with its body.
	body, readErr := io.ReadAll(http.MaxBytesReader(nil, r.Body, MaxBody))
	var req webhookRequest
	var a answer
	for attempt := 0; ; attempt++ {
		req = webhookRequest{src: src, body: body, readErr: readErr, delivery: lead.Delivery{
			AccountID: src.AccountID, SourceID: src.ID, Method: r.Method,
			// Header values may hold any byte; the log's text columns take UTF-8 only.
			ContentType: strings.ToValidUTF8(r.Header.Get("Content-Type"), "\uFFFD"), RemoteAddr: respond.RemoteHost(r),
		}}
		a = s.webhook(ctx, r, &req)
		if !a.stale {
			break
		}
		// The source was a copy, and another process has changed it since:
		// handle the request again with the row as it is now.
		if attempt == 2 {
			respond.Error(s.log, w, r, &lead.Error{Code: lead.EUnavailable, RetryAfter: 1})
			return
		}
		if src, err = s.store.FreshSourceByToken(ctx, r.PathValue("token")); err != nil {
			if lead.ErrorCode(err) == lead.ENotFound {
				err = s.misses.Miss(respond.RemoteHost(r))
			}
			respond.Error(s.log, w, r, err)
			return
		}
	}
	if a.replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	if a.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(a.retryAfter))
	}
	if a.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", allowed(src))
	}
	corsHeaders(w, r, src)
	if a.text || req.read.OK && a.status != http.StatusForbidden && a.status != http.StatusTooManyRequests && a.status < 500 {
		// A sender that reads a text answer (VK's confirmation string, its
		// "ok" for every request it should not send again).
		body := a.body
		if !a.text {
			body = []byte("ok")
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		w.Write(body)
		return
	}
	if req.browser {
		s.browserAnswer(w, r, src, a)
		return
	}
	respond.JSON(w, a.status, a.body)
}

// answer is the webhook's reply to one request.
type answer struct {
	status     int
	body       []byte
	replayed   bool
	retryAfter int
	stale      bool // nothing was written: the source changed since it was read (store.ErrSourceChanged)
	text       bool // body is plain text, answered with 200 (a connection check's confirmation)
}

// webhookRequest is one request to a source's URL as it is worked through.
type webhookRequest struct {
	src      lead.Source
	body     []byte // as read, at most MaxBody bytes
	readErr  error  // why the body was not read whole
	delivery lead.Delivery
	idem     *store.Idem
	read     intake.Read // the request as intake read it, in one call
	browser  bool        // an HTML form post from a browser: answered with a page or a redirect
}

// webhook does the work of ServeHTTP and returns the answer.
func (s *Server) webhook(ctx context.Context, r *http.Request, req *webhookRequest) answer {
	if err := s.checkRequest(r, req); err != nil {
		return s.reject(ctx, req, err)
	}
	if a, ok := s.caught(ctx, req); ok {
		return a
	}
	if req.idem != nil {
		k := idemKey{req.src.ID, req.idem.Key}
		if !s.claim(k) {
			e := lead.Errorf(lead.EConflict, "Idempotency-Key", "Запрос с этим Idempotency-Key ещё обрабатывается, повторите позже.")
			e.RetryAfter = 1
			return s.reject(ctx, req, e)
		}
		defer s.release(k)
		if a, ok := s.replay(ctx, req); ok {
			return a
		}
	}
	if req.read.Mapped != nil {
		req.delivery.Mapped = req.read.Mapped // the fields as the source read them, when not the body itself
	}
	if req.read.Err != nil {
		return s.reject(ctx, req, req.read.Err)
	}
	out, err := s.store.CreateLead(ctx, store.Intake{
		Source: req.src, Input: req.read.Input, Delivery: req.delivery, Idem: req.idem,
		Render: respond.LeadBody,
	})
	if err != nil {
		return s.reject(ctx, req, err)
	}
	if !out.Replayed {
		s.hub.LeadCreated(out.Lead)
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
	d := *req
	d.delivery.Status, d.delivery.Replayed = out.Status, true
	if !s.logDelivery(ctx, &d, nil, nil) {
		return answer{stale: true}, true
	}
	return answer{status: out.Status, body: out.Body, replayed: true}, true
}

// checkRequest checks everything about a request but its fields, keeps its
// body in req.delivery, and reads it whole, fields included, into req.read
// (intake.ReadRequest); the fields' errors are answered later, in webhook.
func (s *Server) checkRequest(r *http.Request, req *webhookRequest) error {
	body, err := req.body, req.readErr
	req.delivery.Body = body
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		req.delivery.BodyTruncated = true
		return lead.Errorf(lead.ETooLarge, "body", "Тело запроса больше %d КБ.", MaxBody>>10)
	case err != nil:
		return lead.Errorf(lead.EMalformed, "body", "Не удалось прочитать тело запроса.")
	}
	// The query is kept whatever the method: a GET refused while the source
	// did not allow it can be re-processed once it does.
	req.delivery.Query = strings.ToValidUTF8(r.URL.RawQuery, "\uFFFD")
	get := r.Method == http.MethodGet && req.src.AllowGet
	if r.Method != http.MethodPost && !get {
		return lead.Errorf(lead.EMethod, "method", "Метод %s не поддерживается, используйте %s.", r.Method, allowed(req.src))
	}
	if !req.src.Enabled {
		return lead.Errorf(lead.EGone, "token", "Источник отключён.")
	}
	if origin := r.Header.Get("Origin"); origin != "" && len(req.src.CORSOrigins) > 0 && !req.src.AllowsOrigin(origin) {
		req.delivery.Mark = lead.MarkOrigin
		return lead.Errorf(lead.EForbidden, "Origin", "Запросы со страниц %s этому источнику не разрешены.", shortOrigin(origin))
	}
	if ok, wait := s.limits.AllowSource(req.src.ID, req.src.AccountID, req.src.RatePerMinute); !ok {
		e := lead.Errorf(lead.ERateLimited, "rate", "Слишком много запросов, повторите через %d с.", wait)
		e.RetryAfter = wait
		return e
	}
	// One call reads the whole request: content type, charset, format, the
	// source's mapping of names, and the lead's fields.
	if req.read, err = s.decoder.ReadRequest(intake.Request{Method: r.Method,
		ContentType: r.Header.Get("Content-Type"), Query: r.URL.RawQuery, Body: body}, req.src.Reading); err != nil {
		return err
	}
	req.delivery.Notes = strings.Join(req.read.Notes, "\n")
	// A browser's HTML form post is answered with pages only when the source
	// has a thank-you page to send it to; otherwise it gets the JSON answer
	// like every sender.
	req.browser = req.src.RedirectURL != "" && req.read.Format != intake.FormatJSON &&
		req.read.Format != intake.FormatQuery && strings.Contains(r.Header.Get("Accept"), "text/html")
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
	} else if key := req.read.IdemKey; key != "" {
		// A sender's own id of the lead (VK's lead_id): its repeats of an
		// event it thinks undelivered make one lead.
		sum := sha256.Sum256([]byte(key))
		req.idem = &store.Idem{Key: key, BodyHash: hex.EncodeToString(sum[:])}
		req.delivery.IdempotencyKey = &req.idem.Key
	} else if id := req.read.Submission; id != "" {
		// Tilda delivers one form submission again when it gets no answer in
		// time; its tranid makes the repeats one lead. The hash is of the id,
		// not the body, so a repeat with other technical fields still replays.
		key := "tranid:" + id
		sum := sha256.Sum256([]byte(key))
		req.idem = &store.Idem{Key: key, BodyHash: hex.EncodeToString(sum[:])}
		req.delivery.IdempotencyKey = &req.idem.Key
	}
	return nil
}

// reject answers err and writes the request to the delivery log (and, for a
// final answer, under its Idempotency-Key).
func (s *Server) reject(ctx context.Context, req *webhookRequest, err error) answer {
	if errors.Is(err, store.ErrSourceChanged) {
		return answer{stale: true}
	}
	e := respond.Public(err)
	if e.Code == lead.EUnavailable {
		s.log.Error("webhook failed", "source", req.src.ID, "err", err)
	}
	status, body := respond.ErrorBody(e)
	req.delivery.Status = status
	req.delivery.Errors = body
	idem := req.idem
	if e.Code == lead.EConflict {
		idem = nil // the first request's answer, not this one, is the key's
	}
	if !s.logDelivery(ctx, req, idem, body) {
		return answer{stale: true}
	}
	return answer{status: status, body: body, retryAfter: e.RetryAfter}
}

// logDelivery writes a request that made no lead to the delivery log, with
// time of its own: the request's may have run out, and the request must be
// kept all the same. It returns false when nothing was written because the
// source changed since it was read: the request must be handled again.
func (s *Server) logDelivery(ctx context.Context, req *webhookRequest, idem *store.Idem, body []byte) bool {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), logTimeout)
	defer cancel()
	err := s.store.LogDelivery(ctx, req.src, req.delivery, idem, body)
	if errors.Is(err, store.ErrSourceChanged) {
		return false
	}
	if err != nil {
		s.log.Error("delivery log write failed", "source", req.src.ID, "status", req.delivery.Status, "err", err)
	}
	return true
}
