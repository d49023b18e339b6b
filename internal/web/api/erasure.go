package api

import (
	"bytes"
	"fmt"
	"net/http"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// Erasures of a person's data (152-FZ) over the API. Every token acts as
// an admin of its account (apiTable), so every token may erase.

// eraseTimeout bounds an erasure: it reads the account's whole delivery
// log, and on SQLite rewrites the file (VACUUM) after the commit.
const eraseTimeout = 10 * time.Minute

func (s *Server) apiCreateErasure(r *http.Request, c apiCaller) (int, any, error) {
	f, err := readForm(r, "phone", "email", "reason", "dryRun")
	if err != nil {
		return 0, nil, err
	}
	req := store.EraseRequest{AccountID: c.account, UserID: c.user, Actor: fmt.Sprintf("API-токен №%d", c.token)}
	req.Reason = f.required("reason", "Основание", lead.MaxErasureReason)
	if dry := f.boolean("dryRun", "dryRun"); dry != nil {
		req.DryRun = *dry
	}
	if err := f.err(); err != nil {
		return 0, nil, err
	}
	if req.Phone, req.Email, err = s.subject(f); err != nil {
		return 0, nil, err
	}
	e, err := s.store.Erase(r.Context(), req)
	if err != nil {
		return 0, nil, err
	}
	if req.DryRun {
		return http.StatusOK, data[lead.Erasure]{e}, nil
	}
	return http.StatusCreated, data[lead.Erasure]{e}, nil
}

// subject reads the phone and email by the webhook's rules, so that they
// are compared in the form the leads keep them.
func (s *Server) subject(f *form) (phone, email string, err error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for _, k := range []string{"phone", "email"} {
		if raw, ok := f.raw[k]; ok && !isNull(raw) && string(bytes.TrimSpace(raw)) != `""` {
			if b.Len() > 1 {
				b.WriteByte(',')
			}
			b.WriteString(`"` + k + `":`)
			b.Write(raw)
		}
	}
	b.WriteByte('}')
	in, _, err := s.decoder.DecodePatch(b.Bytes())
	if err != nil {
		return "", "", err
	}
	if in.Phone != nil {
		phone = *in.Phone
	}
	if in.Email != nil {
		email = *in.Email
	}
	return phone, email, nil
}

func (s *Server) apiListErasures(r *http.Request, c apiCaller) (int, any, error) {
	q := r.URL.Query()
	bad := &lead.Error{Code: lead.EInvalid}
	limit, before := store.QueryPage(q, "limit", "cursor", bad)
	if len(bad.Fields) > 0 {
		return 0, nil, bad
	}
	list, err := s.store.ListErasures(r.Context(), c.account, before, limit)
	if err != nil {
		return 0, nil, err
	}
	p := page[lead.Erasure]{Data: list}
	if len(list) == limit {
		p.NextCursor = cursorAfter(list[len(list)-1].ID)
	}
	return http.StatusOK, p, nil
}

func (s *Server) apiGetErasure(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	e, err := s.store.GetErasure(r.Context(), c.account, id)
	return http.StatusOK, data[lead.Erasure]{e}, err
}
