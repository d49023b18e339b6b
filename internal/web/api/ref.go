package api

import (
	"net/http"

	"leadbox/internal/lead"
	"leadbox/internal/password"
	"leadbox/internal/store"
)

// Reference data over the API: users, offices, cities, funnel stages.

func (s *Server) apiListUsers(r *http.Request, c apiCaller) (int, any, error) {
	users, err := s.store.ListUsers(r.Context(), c.account)
	return http.StatusOK, data[[]lead.User]{nonNil(users)}, err
}

func (s *Server) apiGetUser(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	u, err := s.store.GetUser(r.Context(), c.account, id)
	return http.StatusOK, data[lead.User]{u}, err
}

const labelPassword = "Пароль"

// userPassword reads and hashes a password.
func userPassword(f *form, required bool) *string {
	p := f.str("password", labelPassword, password.MaxLen)
	if p == nil {
		if required && (f.errs == nil || !f.errs.Has("password")) {
			f.fail("password", lead.MsgRequired, labelPassword)
		}
		return nil
	}
	if len(*p) < password.MinLen {
		f.fail("password", lead.MsgMinLen, labelPassword, password.MinLen)
		return nil
	}
	hash, err := password.Hash(*p)
	if err != nil {
		f.fail("password", lead.MsgFormat, labelPassword)
		return nil
	}
	return &hash
}

// apiCreateUser adds a user who can log in with the given email and password.
func (s *Server) apiCreateUser(r *http.Request, c apiCaller) (int, any, error) {
	f, err := readForm(r, "name", "email", "role", "password")
	if err != nil {
		return 0, nil, err
	}
	u := lead.User{AccountID: c.account, Role: lead.RoleManager}
	if name := f.str("name", "Имя", lead.MaxString); name != nil {
		u.Name = *name
	}
	u.Email = f.required("email", "Email", lead.MaxString)
	if role := f.str("role", "Роль", lead.MaxString); role != nil {
		u.Role = *role
	}
	hash := userPassword(f, true)
	if err := f.err(); err != nil {
		return 0, nil, err
	}
	u.PasswordHash = *hash
	u, err = s.store.CreateUser(r.Context(), u)
	return http.StatusCreated, data[lead.User]{u}, err
}

// apiUpdateUser changes a user; there is no delete: deactivate with
// "active": false, which also ends the user's sessions.
func (s *Server) apiUpdateUser(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	f, err := readForm(r, "name", "email", "role", "active", "password")
	if err != nil {
		return 0, nil, err
	}
	var p store.UserPatch
	if f.has("name") {
		name := ""
		if v := f.str("name", "Имя", lead.MaxString); v != nil {
			name = *v
		}
		p.Name = &name
	}
	if f.has("email") {
		email := f.required("email", "Email", lead.MaxString)
		p.Email = &email
	}
	if f.has("role") {
		role := f.required("role", "Роль", lead.MaxString)
		p.Role = &role
	}
	p.Active = f.boolean("active", "active")
	if f.has("password") {
		p.PasswordHash = userPassword(f, true)
	}
	if err := f.err(); err != nil {
		return 0, nil, err
	}
	u, err := s.store.UpdateUser(r.Context(), c.account, id, p)
	return http.StatusOK, data[lead.User]{u}, err
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Server) apiListRefs(kind store.RefKind) apiHandler {
	return func(r *http.Request, c apiCaller) (int, any, error) {
		refs, err := s.store.ListRefs(r.Context(), kind, c.account)
		return http.StatusOK, data[[]lead.Ref]{nonNil(refs)}, err
	}
}

func (s *Server) apiGetRef(kind store.RefKind) apiHandler {
	return func(r *http.Request, c apiCaller) (int, any, error) {
		id, err := lead.ParseID(r.PathValue("id"))
		if err != nil {
			return 0, nil, err
		}
		ref, err := s.store.GetRef(r.Context(), kind, c.account, id)
		return http.StatusOK, data[lead.Ref]{ref}, err
	}
}

func (s *Server) apiCreateRef(kind store.RefKind) apiHandler {
	return func(r *http.Request, c apiCaller) (int, any, error) {
		f, err := readForm(r, "name")
		if err != nil {
			return 0, nil, err
		}
		name := f.required("name", "Название", lead.MaxString)
		if err := f.err(); err != nil {
			return 0, nil, err
		}
		ref, err := s.store.CreateRef(r.Context(), kind, c.account, name)
		return http.StatusCreated, data[lead.Ref]{ref}, err
	}
}

func (s *Server) apiRenameRef(kind store.RefKind) apiHandler {
	return func(r *http.Request, c apiCaller) (int, any, error) {
		id, err := lead.ParseID(r.PathValue("id"))
		if err != nil {
			return 0, nil, err
		}
		f, err := readForm(r, "name")
		if err != nil {
			return 0, nil, err
		}
		name := f.required("name", "Название", lead.MaxString)
		if err := f.err(); err != nil {
			return 0, nil, err
		}
		ref, err := s.store.RenameRef(r.Context(), kind, c.account, id, name)
		return http.StatusOK, data[lead.Ref]{ref}, err
	}
}

func (s *Server) apiDeleteRef(kind store.RefKind) apiHandler {
	return func(r *http.Request, c apiCaller) (int, any, error) {
		id, err := lead.ParseID(r.PathValue("id"))
		if err != nil {
			return 0, nil, err
		}
		return http.StatusNoContent, nil, s.store.DeleteRef(r.Context(), kind, c.account, id)
	}
}

func (s *Server) apiListStages(r *http.Request, c apiCaller) (int, any, error) {
	stages, err := s.store.ListStages(r.Context(), c.account)
	return http.StatusOK, data[[]lead.Stage]{nonNil(stages)}, err
}

func (s *Server) apiGetStage(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	st, err := s.store.GetStage(r.Context(), c.account, id)
	return http.StatusOK, data[lead.Stage]{st}, err
}

// maxColor bounds a stage's colour, a CSS colour such as #3b82f6.
const maxColor = 32

func (s *Server) apiCreateStage(r *http.Request, c apiCaller) (int, any, error) {
	f, err := readForm(r, "name", "color")
	if err != nil {
		return 0, nil, err
	}
	name := f.required("name", "Название", lead.MaxString)
	color := f.str("color", "Цвет", maxColor)
	if err := f.err(); err != nil {
		return 0, nil, err
	}
	st, err := s.store.CreateStage(r.Context(), c.account, name, deref(color))
	return http.StatusCreated, data[lead.Stage]{st}, err
}

// apiUpdateStage renames, recolours or moves a stage (position 1 is first;
// the others shift).
func (s *Server) apiUpdateStage(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	f, err := readForm(r, "name", "color", "position")
	if err != nil {
		return 0, nil, err
	}
	st, err := s.store.GetStage(r.Context(), c.account, id)
	if err != nil {
		return 0, nil, err
	}
	if f.has("name") {
		st.Name = f.required("name", "Название", lead.MaxString)
	}
	if f.has("color") {
		st.Color = deref(f.str("color", "Цвет", maxColor))
	}
	position := f.integer("position", "Позиция", 1, 1_000_000)
	if err := f.err(); err != nil {
		return 0, nil, err
	}
	if _, err := s.store.UpdateStage(r.Context(), c.account, id, st.Name, st.Color); err != nil {
		return 0, nil, err
	}
	if position != nil {
		if _, err := s.store.MoveStage(r.Context(), c.account, id, *position); err != nil {
			return 0, nil, err
		}
	}
	st, err = s.store.GetStage(r.Context(), c.account, id)
	return http.StatusOK, data[lead.Stage]{st}, err
}

func (s *Server) apiDeleteStage(r *http.Request, c apiCaller) (int, any, error) {
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, s.store.DeleteStage(r.Context(), c.account, id)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
