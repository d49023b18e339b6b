package ui

import (
	"net/http"

	"leadbox/internal/store"
)

// quietSources lists the account's sources that went quiet, for the banner
// admins see on every page; a failure only leaves the banner out.
func (s *Server) quietSources(r *http.Request, account int64) []store.QuietSource {
	list, err := s.store.QuietSources(r.Context(), account)
	if err != nil {
		s.log.Warn("quiet sources", "account", account, "err", err)
		return nil
	}
	return list
}

// quietByID indexes quiet sources by source id, for the sources list.
func quietByID(list []store.QuietSource) map[int64]*store.QuietSource {
	m := make(map[int64]*store.QuietSource, len(list))
	for i := range list {
		m[list[i].SourceID] = &list[i]
	}
	return m
}
