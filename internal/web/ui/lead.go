package ui

import (
	"context"
	"errors"
	"net/http"
	"time"

	"leadbox/internal/lead"
	"leadbox/internal/store"
)

// leadCard is everything the lead card shows.
type leadCard struct {
	Lead    lead.Lead
	Fields  []cardField
	Extra   []extraField
	Raw     []byte
	Related []leadRow
	Events  []eventRow
	Client  *lead.Client
	Clients []lead.Client
	Names   *names

	Timeline   []timelineItem // the history and the notes, newest first
	Tasks      []taskRow
	Assignee   int64 // the task form's default assignee: the owner, else the user
	DefaultDue int64
}

// handleLead shows one lead: every field, the extra keys and the raw
// request, other leads of the same contact, the history and the forms.
func (s *Server) handleLead(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	id, err := lead.ParseID(r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	card, err := s.loadCard(r.Context(), ss.User.AccountID, id, ss.Lang, s.zone(ss.Zone))
	if err == nil {
		err = s.loadWork(r.Context(), card, ss.User)
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	title := "lead.title"
	v := s.newView(w, r, "inbox", title, card)
	v.Title = v.T(title) + " #" + itoa(id)
	s.render(w, r, http.StatusOK, "lead", v)
}

func (s *Server) loadCard(ctx context.Context, acct, id int64, lang string, loc *time.Location) (*leadCard, error) {
	l, err := s.store.GetLead(ctx, acct, id)
	if err != nil {
		return nil, err
	}
	c := &leadCard{Lead: l, Extra: extraFields(l.Extra)}
	if c.Names, err = s.loadNames(ctx, acct, true); err != nil {
		return nil, err
	}
	c.Names.loc = loc
	if c.Raw, err = s.store.LeadRaw(ctx, acct, id); err != nil && !isNotFound(err) {
		return nil, err
	}
	related, err := s.store.RelatedLeads(ctx, l, 20)
	if err != nil {
		return nil, err
	}
	c.Related = c.Names.rows(related)
	events, err := s.store.LeadEvents(ctx, acct, id)
	if err != nil {
		return nil, err
	}
	c.Events = c.Names.events(events, lang)
	if l.ClientID != nil {
		cl, err := s.store.GetClient(ctx, acct, *l.ClientID)
		if err != nil && !isNotFound(err) {
			return nil, err
		}
		if err == nil {
			c.Client = &cl
		}
	}
	if c.Clients, err = s.store.ListClients(ctx, acct, "", 0, 200); err != nil {
		return nil, err
	}
	c.Fields = c.Names.fields(l, lang)
	return c, nil
}

// loadWork adds the notes, merged into the history's timeline, and the
// tasks to a card.
func (s *Server) loadWork(ctx context.Context, c *leadCard, me lead.User) error {
	notes, err := s.store.ListNotes(ctx, me.AccountID, c.Lead.ID)
	if err != nil {
		return err
	}
	tasks, err := s.store.ListTasks(ctx, me.AccountID, store.TaskFilter{LeadID: c.Lead.ID})
	if err != nil {
		return err
	}
	now := s.store.Now()
	c.Timeline = c.Names.timeline(c.Events, notes, me, now.Unix())
	c.Tasks = c.Names.tasks(tasks)
	c.Assignee, c.DefaultDue = me.ID, defaultDue(now)
	if c.Lead.UserIDOwner != nil {
		c.Assignee = *c.Lead.UserIDOwner
	}
	return nil
}

func isNotFound(err error) bool {
	var le *lead.Error
	return errors.As(err, &le) && le.Code == lead.ENotFound
}
