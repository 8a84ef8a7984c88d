// Package fnsregistration is FNS «Мобильная подпись» registration: a person
// is registered at FNS (scenario 80), identified in person by an agent, and
// gets a qualified e-signature certificate (provider document:
// fns-mobile-signature-api.ru.txt; FNS-INVENTORY.md beside it).
//
// This file is the contract a service links. So far it holds what the
// gateway's callback intake delivers; the workflow follows.
package fnsregistration

// CallbackSignal carries one FNS callback, delivered from the gateway's
// inbox. FNS signs nothing: the workflow treats a callback as a hint and
// confirms the state with /full before acting.
const CallbackSignal = "fns-callback"

// Callback is one FNS state change as the workflow receives it: ids, type
// and state only (never the consumer or the agent).
type Callback struct {
	FNSWorkflowID int64  `json:"fnsWorkflowId"`
	Type          string `json:"type"`
	State         string `json:"state"`
	ParentID      int64  `json:"parentId,omitempty"`
	ChildID       int64  `json:"childId,omitempty"`
	// ErrorMessage is FNS's text for a rejection (e.g. a failed SMEV check).
	ErrorMessage string `json:"errorMessage,omitempty"`
}
