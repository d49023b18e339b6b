package api

import (
	"bytes"
	"net/http"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

func (s *Server) apiListClients(r *http.Request, c apiCaller) (int, any, error) {
	q := r.URL.Query()
	bad := &lead.Error{Code: lead.EInvalid}
	limit, before := store.QueryPage(q, "limit", "cursor", bad)
	if len(bad.Fields) > 0 {
		return 0, nil, bad
	}
	clients, err := s.store.ListClients(r.Context(), c.account, q.Get("q"), before, limit)
	if err != nil {
		return 0, nil, err
	}
	p := page[lead.Client]{Data: clients}
	if len(clients) == limit {
		p.NextCursor = cursorAfter(clients[len(clients)-1].ID)
	}
	return http.StatusOK, p, nil
}

func (s *Server) apiGetClient(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	cl, err := s.store.GetClient(r.Context(), c.account, id)
	return http.StatusOK, data[lead.Client]{cl}, err
}

// clientContacts reads phone and email by the webhook's rules (a phone in
// any format, stored as international digits); present says which the body
// named.
func (s *Server) clientContacts(f *form, cl *lead.Client) error {
	var b bytes.Buffer
	b.WriteByte('{')
	for _, k := range []string{"phone", "email"} {
		if raw, ok := f.raw[k]; ok {
			if b.Len() > 1 {
				b.WriteByte(',')
			}
			b.WriteString(`"` + k + `":`)
			b.Write(raw)
		}
	}
	b.WriteByte('}')
	in, present, err := s.decoder.DecodePatch(b.Bytes())
	if err != nil {
		return err
	}
	for _, k := range present {
		if k == "phone" {
			cl.Phone = in.Phone
		} else {
			cl.Email = in.Email
		}
	}
	return nil
}

func (s *Server) apiCreateClient(r *http.Request, c apiCaller) (int, any, error) {
	f, err := readForm(r, "name", "phone", "email")
	if err != nil {
		return 0, nil, err
	}
	cl := lead.Client{AccountID: c.account, Name: f.required("name", "Имя", lead.MaxString)}
	if err := f.err(); err != nil {
		return 0, nil, err
	}
	if err := s.clientContacts(f, &cl); err != nil {
		return 0, nil, err
	}
	cl, err = s.store.CreateClient(r.Context(), cl)
	return http.StatusCreated, data[lead.Client]{cl}, err
}

func (s *Server) apiUpdateClient(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	f, err := readForm(r, "name", "phone", "email")
	if err != nil {
		return 0, nil, err
	}
	cl, err := s.store.GetClient(r.Context(), c.account, id)
	if err != nil {
		return 0, nil, err
	}
	if f.has("name") {
		cl.Name = f.required("name", "Имя", lead.MaxString)
	}
	if err := f.err(); err != nil {
		return 0, nil, err
	}
	if err := s.clientContacts(f, &cl); err != nil {
		return 0, nil, err
	}
	cl, err = s.store.UpdateClient(r.Context(), cl)
	return http.StatusOK, data[lead.Client]{cl}, err
}

func (s *Server) apiDeleteClient(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.store.DeleteClient(r.Context(), c.account, c.user, id)
}
