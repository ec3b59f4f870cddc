package calendar

// Role is what a user may do with a calendar, as people know it from
// Google Calendar. Roles are ordered: each includes the ones below it.
type Role int

const (
	RoleNone     Role = iota // may not know the calendar exists
	RoleFreeBusy             // sees busy times only, never titles
	RoleReader               // reads every event
	RoleWriter               // creates, changes and deletes events
	RoleOwner                // also renames, shares and deletes the calendar
)

var roleNames = [...]string{"none", "freebusy", "reader", "writer", "owner"}

func (r Role) String() string {
	if r < 0 || int(r) >= len(roleNames) {
		return "invalid"
	}
	return roleNames[r]
}

// ParseRole reads a role name as written by String.
func ParseRole(s string) (Role, bool) {
	for i, n := range roleNames {
		if n == s {
			return Role(i), true
		}
	}
	return RoleNone, false
}

// Privilege is a WebDAV privilege (RFC 3744 §3, RFC 4791 §6.1.1).
type Privilege string

const (
	PrivReadFreeBusy    Privilege = "read-free-busy"
	PrivRead            Privilege = "read"
	PrivWriteContent    Privilege = "write-content"
	PrivWriteProperties Privilege = "write-properties"
	PrivBind            Privilege = "bind"
	PrivUnbind          Privilege = "unbind"
	PrivReadACL         Privilege = "read-acl"
	PrivWriteACL        Privilege = "write-acl"
	PrivAll             Privilege = "all"
)

// Privileges lists what the role grants, for DAV:current-user-privilege-set.
func (r Role) Privileges() []Privilege {
	switch r {
	case RoleFreeBusy:
		return []Privilege{PrivReadFreeBusy}
	case RoleReader:
		return []Privilege{PrivReadFreeBusy, PrivRead}
	case RoleWriter:
		return []Privilege{PrivReadFreeBusy, PrivRead, PrivWriteContent, PrivBind, PrivUnbind}
	case RoleOwner:
		return []Privilege{PrivAll, PrivReadFreeBusy, PrivRead, PrivWriteContent, PrivWriteProperties,
			PrivBind, PrivUnbind, PrivReadACL, PrivWriteACL}
	}
	return nil
}

// Can reports whether the role grants an action.
func (r Role) Can(a Action) bool { return r >= a.min() }

// Action is something a front end asks permission for.
type Action int

const (
	ActFreeBusy       Action = iota // free-busy queries
	ActRead                         // read objects and properties
	ActWrite                        // create, change, delete objects
	ActEditCalendar                 // change the calendar's own properties
	ActShare                        // grant and revoke roles
	ActDeleteCalendar               // delete the calendar with its objects
)

func (a Action) min() Role {
	switch a {
	case ActFreeBusy:
		return RoleFreeBusy
	case ActRead:
		return RoleReader
	case ActWrite:
		return RoleWriter
	}
	return RoleOwner
}
