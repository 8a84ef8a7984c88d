package fns

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// Callback is the state change FNS posts to a workflow's callback URL
// (document L2776–2950). FNS signs nothing and gives no event id, so a
// callback is only a hint: the receiver confirms the state with /full
// before acting on it.
type Callback struct {
	// ID is the FNS workflow the callback is about (a parent or a child).
	ID       int64  `json:"id"`
	Type     string `json:"type"`  // normalised: "identification", "certificate-issuing", ...
	State    string `json:"state"` // normalised: "installed", "complete", "rejected", ...
	ParentID *int64 `json:"parent_id"`
	ChildID  *int64 `json:"child_id"`
	// ExternalID is the id the partner gave the workflow at creation.
	ExternalID   string `json:"external_id"`
	ErrorCode    string `json:"error_code"`
	ErrorMessage string `json:"error_message"`
}

// ErrBadCallback is wrapped by every ParseCallback error.
var ErrBadCallback = errors.New("fns: bad callback")

// ParseCallback reads a callback body leniently (unknown fields, null and
// numeric-or-string values are fine) and requires the id, type and state.
// Errors never quote the body: it holds personal data.
func ParseCallback(body []byte) (Callback, error) {
	var raw struct {
		ID           json.Number `json:"id"`
		Type         string      `json:"type"`
		State        string      `json:"state"`
		ParentID     json.Number `json:"parent_id"`
		ChildID      json.Number `json:"child_id"`
		ExternalID   *string     `json:"external_id"`
		ErrorCode    any         `json:"error_code"`
		ErrorMessage *string     `json:"error_message"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return Callback{}, errors.Join(ErrBadCallback, errors.New("not a JSON object"))
	}
	id, err := raw.ID.Int64()
	if err != nil || id <= 0 {
		return Callback{}, errors.Join(ErrBadCallback, errors.New("no workflow id"))
	}
	cb := Callback{ID: id, Type: NormalizeName(raw.Type), State: NormalizeName(raw.State),
		ParentID: optionalID(raw.ParentID), ChildID: optionalID(raw.ChildID)}
	if cb.Type == "" || cb.State == "" {
		return Callback{}, errors.Join(ErrBadCallback, errors.New("no type or state"))
	}
	if raw.ExternalID != nil {
		cb.ExternalID = *raw.ExternalID
	}
	if raw.ErrorMessage != nil {
		cb.ErrorMessage = *raw.ErrorMessage
	}
	switch code := raw.ErrorCode.(type) {
	case string:
		cb.ErrorCode = code
	case json.Number:
		cb.ErrorCode = code.String()
	}
	return cb, nil
}

// DedupeKey names the state change: FNS repeats a callback until it is
// answered 200, and the same workflow, type and state is the same news.
func (c Callback) DedupeKey() string {
	return strconv.FormatInt(c.ID, 10) + "/" + c.Type + "/" + c.State
}

func optionalID(n json.Number) *int64 {
	id, err := n.Int64()
	if err != nil || id <= 0 {
		return nil
	}
	return &id
}
