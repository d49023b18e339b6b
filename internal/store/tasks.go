package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"leadbox/internal/lead"
)

// Tasks on a lead: a text, a due time and one user to do it. As with notes,
// no job is written: SPEC §7 names lead events only, and a task changes no
// field of the lead.

const taskColumns = "t.id, t.account_id, t.lead_id, t.text, t.due_at, t.assignee_id, t.created_by, t.created_at, t.updated_at, t.done_at, t.done_by"

// TaskItem is a task with the lead it is about, as lists show it.
type TaskItem struct {
	lead.Task
	LeadName  *string
	LeadPhone *string
}

func scanTask(row scanner, now int64, more ...any) (lead.Task, error) {
	var t lead.Task
	dest := append([]any{&t.ID, &t.AccountID, &t.LeadID, &t.Text, &t.Due, &t.AssigneeID, &t.CreatedBy, &t.Created, &t.Updated,
		&t.Done, &t.DoneBy}, more...)
	err := row.Scan(dest...)
	t.Overdue = t.Done == nil && t.Due <= now
	return t, err
}

// NewTask is a task to create.
type NewTask struct {
	AccountID, LeadID int64
	UserID            *int64 // who creates it
	Text              string
	Due               int64  // unix seconds
	AssigneeID        *int64 // nil: the lead's owner, else the creator
}

// checkAssignee fails unless id is an active user of the account.
func checkAssignee(ctx context.Context, tx querier, accountID, id int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE id = $1 AND account_id = $2 AND active = $3",
		id, accountID, true).Scan(&n); err != nil {
		return fmt.Errorf("check assignee: %w", err)
	}
	if n == 0 {
		return lead.Errorf(lead.EInvalid, "userIdAssignee", lead.MsgExists, "ID Исполнителя")
	}
	return nil
}

func checkDue(due int64) error {
	if due <= 0 {
		return lead.Errorf(lead.EInvalid, "dtDue", lead.MsgRequired, "Срок")
	}
	return nil
}

// AddTask creates a task on a lead of the account. Without an assignee it
// goes to the lead's owner, or, if the lead has none, to its creator.
func (s *Store) AddTask(ctx context.Context, n NewTask) (lead.Task, error) {
	t := lead.Task{AccountID: n.AccountID, LeadID: n.LeadID, Due: n.Due, AssigneeID: n.AssigneeID, CreatedBy: n.UserID}
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		// Another account's lead is not found, whatever the rest.
		l, err := lockLead(ctx, tx, s.dialect, n.AccountID, n.LeadID)
		if err != nil {
			return err
		}
		if t.Text, err = checkText("text", "Текст", n.Text); err != nil {
			return err
		}
		if err := checkDue(n.Due); err != nil {
			return err
		}
		if t.AssigneeID == nil {
			t.AssigneeID = l.UserIDOwner
			if t.AssigneeID == nil {
				t.AssigneeID = n.UserID
			}
		} else if err := checkAssignee(ctx, tx, n.AccountID, *t.AssigneeID); err != nil {
			return err
		}
		now := s.now().Unix()
		t.Created, t.Updated = now, now
		t.Overdue = t.Due <= now
		return tx.QueryRowContext(ctx, `INSERT INTO tasks (account_id, lead_id, text, due_at, assignee_id, created_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			t.AccountID, t.LeadID, t.Text, t.Due, t.AssigneeID, t.CreatedBy, t.Created, t.Updated).Scan(&t.ID)
	})
	if err != nil {
		return t, fmt.Errorf("add task: %w", err)
	}
	return t, nil
}

// GetTask returns one task of the account, on a lead not deleted.
func (s *Store) GetTask(ctx context.Context, accountID, id int64) (lead.Task, error) {
	return s.getTask(ctx, s.read, accountID, id)
}

func (s *Store) getTask(ctx context.Context, q querier, accountID, id int64) (lead.Task, error) {
	t, err := scanTask(q.QueryRowContext(ctx, "SELECT "+taskColumns+` FROM tasks t
		JOIN leads l ON l.id = t.lead_id AND l.deleted_at IS NULL WHERE t.id = $1 AND t.account_id = $2`, id, accountID), s.now().Unix())
	if errors.Is(err, sql.ErrNoRows) {
		return t, notFound("task")
	}
	if err != nil {
		return t, s.wrap(fmt.Errorf("read task %d: %w", id, err))
	}
	return t, nil
}

// TaskPatch changes the fields it names.
type TaskPatch struct {
	Text       *string
	Due        *int64
	AssigneeID *int64 // a user of the account; a task always keeps one once set
}

// UpdateTask changes a task's text, due time or assignee.
func (s *Store) UpdateTask(ctx context.Context, accountID, id int64, p TaskPatch) (lead.Task, error) {
	var t lead.Task
	if p.Text != nil {
		text, err := checkText("text", "Текст", *p.Text)
		if err != nil {
			return t, err
		}
		p.Text = &text
	}
	if p.Due != nil {
		if err := checkDue(*p.Due); err != nil {
			return t, err
		}
	}
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		var err error
		if t, err = s.getTask(ctx, tx, accountID, id); err != nil {
			return err
		}
		if p.AssigneeID != nil {
			if err := checkAssignee(ctx, tx, accountID, *p.AssigneeID); err != nil {
				return err
			}
			t.AssigneeID = p.AssigneeID
		}
		if p.Text != nil {
			t.Text = *p.Text
		}
		if p.Due != nil {
			t.Due = *p.Due
		}
		now := s.now().Unix()
		t.Updated = now
		t.Overdue = t.Done == nil && t.Due <= now
		_, err = tx.ExecContext(ctx, "UPDATE tasks SET text = $1, due_at = $2, assignee_id = $3, updated_at = $4 WHERE id = $5 AND account_id = $6",
			t.Text, t.Due, t.AssigneeID, now, id, accountID)
		return err
	})
	return t, err
}

// SetTaskDone marks a task done by userID, or open again.
func (s *Store) SetTaskDone(ctx context.Context, accountID, id int64, userID *int64, done bool) (lead.Task, error) {
	var t lead.Task
	err := s.retryTx(ctx, func(tx *sql.Tx) error {
		var err error
		if t, err = s.getTask(ctx, tx, accountID, id); err != nil {
			return err
		}
		now := s.now().Unix()
		if done == (t.Done != nil) {
			return nil // already so: the first mark stands
		}
		t.Done, t.DoneBy, t.Updated = nil, nil, now
		if done {
			t.Done, t.DoneBy = &now, userID
		}
		t.Overdue = t.Done == nil && t.Due <= now
		_, err = tx.ExecContext(ctx, "UPDATE tasks SET done_at = $1, done_by = $2, updated_at = $3 WHERE id = $4 AND account_id = $5",
			t.Done, t.DoneBy, now, id, accountID)
		return err
	})
	return t, err
}

// DeleteTask deletes a task: its author may, and an admin (ed.Admin); the
// assignee closes it (SetTaskDone) or hands it on instead.
func (s *Store) DeleteTask(ctx context.Context, accountID, id int64, ed NoteEditor) error {
	return s.retryTx(ctx, func(tx *sql.Tx) error {
		t, err := s.getTask(ctx, tx, accountID, id)
		if err != nil {
			return err
		}
		if !ed.Admin && (ed.UserID == nil || t.CreatedBy == nil || *ed.UserID != *t.CreatedBy) {
			return lead.Errorf(lead.EForbidden, "task", msgTaskDelete)
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM tasks WHERE id = $1 AND account_id = $2", id, accountID)
		return err
	})
}

const msgTaskDelete = "Удалить задачу может только её автор или администратор."

// Task states a list may ask for.
const (
	TasksOpen = "open"
	TasksDone = "done"
	TasksAll  = "all"
)

// TaskFilter selects tasks of an account.
type TaskFilter struct {
	LeadID     int64  // 0: every lead
	AssigneeID *int64 // nil: anyone's
	State      string // TasksOpen, TasksDone or TasksAll ("" is all)
	DueBefore  int64  // 0: any; else due strictly before this unix time
	After      int64  // paging: tasks after this id in the order (0: the first page)
	Limit      int    // 0: no limit
	ByID       bool   // in id order, for paging (with After), not by due time
}

// ListTasks returns the account's tasks the filter selects, on leads not
// deleted: open ones by due time, then done ones, newest done first, ties
// by id; or all by id.
func (s *Store) ListTasks(ctx context.Context, accountID int64, f TaskFilter) ([]TaskItem, error) {
	args := []any{accountID}
	where := []string{"t.account_id = $1", "l.deleted_at IS NULL"}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.LeadID != 0 {
		add("t.lead_id = ?", f.LeadID)
	}
	if f.AssigneeID != nil {
		add("t.assignee_id = ?", *f.AssigneeID)
	}
	switch f.State {
	case TasksOpen:
		where = append(where, "t.done_at IS NULL")
	case TasksDone:
		where = append(where, "t.done_at IS NOT NULL")
	case "", TasksAll:
	default:
		return nil, lead.Errorf(lead.EInvalid, "state", msgTaskState)
	}
	if f.DueBefore != 0 {
		add("t.due_at < ?", f.DueBefore)
	}
	if f.After != 0 {
		add("t.id > ?", f.After)
	}
	q := "SELECT " + taskColumns + ", l.name, l.phone FROM tasks t JOIN leads l ON l.id = t.lead_id WHERE " + strings.Join(where, " AND ")
	if f.ByID {
		q += " ORDER BY t.id"
	} else {
		q += " ORDER BY CASE WHEN t.done_at IS NULL THEN 0 ELSE 1 END, CASE WHEN t.done_at IS NULL THEN t.due_at ELSE -t.done_at END, t.id"
	}
	if f.Limit > 0 {
		args = append(args, f.Limit)
		q += " LIMIT $" + strconv.Itoa(len(args))
	}
	rows, err := s.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, s.wrap(fmt.Errorf("list tasks: %w", err))
	}
	defer rows.Close()
	now := s.now().Unix()
	out := []TaskItem{}
	for rows.Next() {
		var it TaskItem
		if it.Task, err = scanTask(rows, now, &it.LeadName, &it.LeadPhone); err != nil {
			return nil, s.wrap(fmt.Errorf("list tasks: %w", err))
		}
		out = append(out, it)
	}
	return out, s.wrap(rows.Err())
}

const msgTaskState = "Значение поля state должно быть open, done или all."

// CountDueTasks counts a user's open tasks due by now, on leads not
// deleted: the badge on «Мои задачи».
func (s *Store) CountDueTasks(ctx context.Context, accountID, userID int64) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM tasks t JOIN leads l ON l.id = t.lead_id AND l.deleted_at IS NULL
		WHERE t.assignee_id = $1 AND t.done_at IS NULL AND t.due_at <= $2 AND t.account_id = $3`,
		userID, s.now().Unix(), accountID).Scan(&n)
	if err != nil {
		return 0, s.wrap(fmt.Errorf("count due tasks: %w", err))
	}
	return n, nil
}
