package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"leadbox/internal/lead"
)

// Notes on a lead. A note is its own row, not a history entry: the card
// shows notes and history in one timeline. No job is written for a note:
// the events of SPEC §7 are lead.created, lead.updated and lead.deleted,
// and a note changes no field of the lead.

// Messages of notes and tasks.
const (
	msgNoteNotAuthor = "Изменить заметку может только её автор."
	msgNoteDelete    = "Удалить заметку может только её автор или администратор."
	msgNoteLate      = "Заметку можно изменить или удалить только в течение %d минут после создания."
)

const noteColumns = "id, account_id, lead_id, user_id, text, created_at, updated_at"

func scanNote(row scanner) (lead.Note, error) {
	var n lead.Note
	err := row.Scan(&n.ID, &n.AccountID, &n.LeadID, &n.UserID, &n.Text, &n.Created, &n.Updated)
	return n, err
}

// checkText trims a note's or a task's text and checks it is there and not
// too long; label names the field in the message.
func checkText(field, label, text string) (string, error) {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	switch {
	case text == "":
		return "", lead.Errorf(lead.EInvalid, field, lead.MsgRequired, label)
	case !utf8.ValidString(text):
		return "", lead.Errorf(lead.EInvalid, field, lead.MsgString, label)
	case utf8.RuneCountInString(text) > lead.MaxNote:
		return "", lead.Errorf(lead.EInvalid, field, lead.MsgMax, label, lead.MaxNote)
	}
	return text, nil
}

// leadExists fails with not-found unless the lead is the account's and not
// deleted.
func leadExists(ctx context.Context, tx querier, accountID, leadID int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM leads WHERE id = $1 AND account_id = $2 AND deleted_at IS NULL",
		leadID, accountID).Scan(&n); err != nil {
		return fmt.Errorf("check lead: %w", err)
	}
	if n == 0 {
		return notFound("lead")
	}
	return nil
}

// AddNote writes a note on a lead of the account; userID is its author.
func (s *Store) AddNote(ctx context.Context, accountID, leadID int64, userID *int64, text string) (lead.Note, error) {
	n := lead.Note{AccountID: accountID, LeadID: leadID, UserID: userID}
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		// Another account's lead is not found, whatever the text.
		if err := leadExists(ctx, tx, accountID, leadID); err != nil {
			return err
		}
		var err error
		if n.Text, err = checkText("text", "Текст", text); err != nil {
			return err
		}
		n.Created = s.now().Unix()
		return tx.QueryRowContext(ctx, `INSERT INTO lead_notes (account_id, lead_id, user_id, text, created_at)
			VALUES ($1, $2, $3, $4, $5) RETURNING id`, accountID, leadID, userID, n.Text, n.Created).Scan(&n.ID)
	})
	if err != nil {
		return n, fmt.Errorf("add note: %w", err)
	}
	return n, nil
}

// ListNotes returns the notes of a lead of the account, oldest first.
func (s *Store) ListNotes(ctx context.Context, accountID, leadID int64) ([]lead.Note, error) {
	if err := leadExists(ctx, s.read, accountID, leadID); err != nil {
		return nil, s.wrap(err)
	}
	rows, err := s.read.QueryContext(ctx, "SELECT "+noteColumns+" FROM lead_notes WHERE lead_id = $1 AND account_id = $2 ORDER BY id",
		leadID, accountID)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("list notes: %w", err))
	}
	defer rows.Close()
	out := []lead.Note{}
	for rows.Next() {
		n, err := scanNote(rows)
		if err != nil {
			return nil, s.wrap(fmt.Errorf("list notes: %w", err))
		}
		out = append(out, n)
	}
	return out, s.wrap(rows.Err())
}

// GetNote returns one note of the account, on a lead not deleted.
func (s *Store) GetNote(ctx context.Context, accountID, id int64) (lead.Note, error) {
	return getNote(ctx, s.read, accountID, id)
}

func getNote(ctx context.Context, q querier, accountID, id int64) (lead.Note, error) {
	n, err := scanNote(q.QueryRowContext(ctx, `SELECT n.id, n.account_id, n.lead_id, n.user_id, n.text, n.created_at, n.updated_at
		FROM lead_notes n JOIN leads l ON l.id = n.lead_id AND l.deleted_at IS NULL WHERE n.id = $1 AND n.account_id = $2`, id, accountID))
	if errors.Is(err, sql.ErrNoRows) {
		return n, notFound("note")
	}
	if err != nil {
		return n, fmt.Errorf("read note %d: %w", id, err)
	}
	return n, nil
}

// NoteEditor is who asks to change or delete a note.
type NoteEditor struct {
	UserID *int64
	Admin  bool // an admin may delete any note, at any time
}

// mayChange checks that e may change (or, with del, delete) n at unix time
// now: its author within lead.NoteEditWindow; for a delete, an admin too.
func (e NoteEditor) mayChange(n lead.Note, now int64, del bool) error {
	if del && e.Admin {
		return nil
	}
	if e.UserID == nil || n.UserID == nil || *e.UserID != *n.UserID {
		msg := msgNoteNotAuthor
		if del {
			msg = msgNoteDelete
		}
		return lead.Errorf(lead.EForbidden, "note", msg)
	}
	if !n.Editable(now) {
		return lead.Errorf(lead.EConflict, "note", msgNoteLate, lead.NoteEditWindow/60)
	}
	return nil
}

// EditNote changes a note's text: only its author may, within
// lead.NoteEditWindow of writing it.
func (s *Store) EditNote(ctx context.Context, accountID, id int64, e NoteEditor, text string) (lead.Note, error) {
	var n lead.Note
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		var err error
		if n, err = getNote(ctx, tx, accountID, id); err != nil {
			return err
		}
		now := s.now().Unix()
		if err := e.mayChange(n, now, false); err != nil {
			return err
		}
		if text, err = checkText("text", "Текст", text); err != nil {
			return err
		}
		n.Text, n.Updated = text, &now
		_, err = tx.ExecContext(ctx, "UPDATE lead_notes SET text = $1, updated_at = $2 WHERE id = $3 AND account_id = $4",
			n.Text, now, id, accountID)
		return err
	})
	return n, err
}

// DeleteNote removes a note: its author within lead.NoteEditWindow, or an
// admin.
func (s *Store) DeleteNote(ctx context.Context, accountID, id int64, e NoteEditor) error {
	return s.retryTx(ctx, func(tx *sql.Tx) error {
		n, err := getNote(ctx, tx, accountID, id)
		if err != nil {
			return err
		}
		if err := e.mayChange(n, s.now().Unix(), true); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM lead_notes WHERE id = $1 AND account_id = $2", id, accountID)
		return err
	})
}

// Now is the store's clock (SetClock replaces it in tests): what "overdue"
// and a note's edit window are measured against.
func (s *Store) Now() time.Time { return s.now() }
