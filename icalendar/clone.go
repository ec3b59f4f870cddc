package icalendar

import (
	"slices"

	"github.com/emersion/go-ical"
)

// Clone returns a deep copy of the calendar with empty caches: a caller
// that parsed a calendar once can hand each goroutine its own copy, which
// costs far less than parsing again.
func (c *Calendar) Clone() *Calendar {
	return newCalendar(CloneComponent(c.Component), c.Raw, c.Fixes)
}

// CloneComponent returns a deep copy of a go-ical component tree.
func CloneComponent(c *ical.Component) *ical.Component {
	out := &ical.Component{Name: c.Name, Props: make(ical.Props, len(c.Props))}
	for name, props := range c.Props {
		cp := make([]ical.Prop, len(props))
		for i, p := range props {
			cp[i] = CloneProp(p)
		}
		out.Props[name] = cp
	}
	if len(c.Children) > 0 {
		out.Children = make([]*ical.Component, len(c.Children))
		for i, ch := range c.Children {
			out.Children[i] = CloneComponent(ch)
		}
	}
	return out
}

// CloneProp returns a copy of p that shares nothing with it.
func CloneProp(p ical.Prop) ical.Prop {
	q := ical.Prop{Name: p.Name, Value: p.Value, Params: make(ical.Params, len(p.Params))}
	for k, v := range p.Params {
		q.Params[k] = slices.Clone(v)
	}
	return q
}
