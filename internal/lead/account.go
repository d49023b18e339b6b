package lead

import "encoding/json"

// Account is one company (tenant). Every other row belongs to exactly one.
type Account struct {
	ID      int64  `json:"id"`
	Name    string `json:"name"`
	Created int64  `json:"dtCreate"`
}

// Roles of a user.
const (
	RoleAdmin   = "admin"
	RoleManager = "manager"
)

// User is an employee of an account.
type User struct {
	ID           int64  `json:"id"`
	AccountID    int64  `json:"accountId"`
	Name         string `json:"name"`
	Email        string `json:"email"`
	Role         string `json:"role"`
	Active       bool   `json:"active"`
	PasswordHash string `json:"-"`
	Created      int64  `json:"dtCreate"`
}

// Source types.
const (
	SourceWebhook = "webhook"
	SourceManual  = "manual"
	SourcePhone   = "phone"
	SourceSite    = "site"
	SourceOther   = "other"
)

// SourceTypes lists the valid source types.
var SourceTypes = []string{SourceWebhook, SourceManual, SourcePhone, SourceSite, SourceOther}

// Source is where leads come from. A webhook source has a secret token; its
// URL is the only credential a sender needs.
type Source struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"accountId"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	Enabled   bool   `json:"enabled"`
	Token     string `json:"-"`
	Created   int64  `json:"dtCreate"`

	// Defaults applied to a new lead that does not name its own.
	DefaultOwnerID *int64 `json:"userIdOwner"`
	DefaultStageID *int64 `json:"funnelStageId"`
	DefaultUnitID  *int64 `json:"locationUnitId"`
	DefaultCityID  *int64 `json:"locationCityId"`
}

// Ref is a named row of an account's reference data: an office, a city.
type Ref struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"accountId"`
	Name      string `json:"name"`
}

// Stage is a step of an account's sales funnel.
type Stage struct {
	ID        int64  `json:"id"`
	AccountID int64  `json:"accountId"`
	Name      string `json:"name"`
	Position  int    `json:"position"`
	Color     string `json:"color"`
}

// Client is a customer record; several leads may link to one.
type Client struct {
	ID        int64   `json:"id"`
	AccountID int64   `json:"accountId"`
	Name      string  `json:"name"`
	Phone     *string `json:"phone"`
	Email     *string `json:"email"`
	Created   int64   `json:"dtCreate"`
}

// Delivery is one request to a webhook URL as the source's delivery log keeps
// it: accepted or rejected, with the raw body byte for byte.
type Delivery struct {
	ID             int64           `json:"id"`
	AccountID      int64           `json:"accountId"`
	SourceID       int64           `json:"sourceId"`
	Received       int64           `json:"dtReceived"` // unix milliseconds
	Method         string          `json:"method"`
	ContentType    string          `json:"contentType"`
	RemoteAddr     string          `json:"remoteAddr"`
	Status         int             `json:"status"`
	Errors         json.RawMessage `json:"errors"` // the {"errors": …} answer, or null
	LeadID         *int64          `json:"leadId"`
	IdempotencyKey *string         `json:"idempotencyKey"`
	Replayed       bool            `json:"replayed"`
	Body           []byte          `json:"-"`
	BodyTruncated  bool            `json:"bodyTruncated"`
}
