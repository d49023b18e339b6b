package api

import (
	"net/http"

	"leadbox/internal/lead"
	"leadbox/internal/password"
	"leadbox/internal/store"
)

// Users over the API.

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
