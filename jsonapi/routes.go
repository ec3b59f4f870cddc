package jsonapi

import (
	"net/http"

	"github.com/go-chi/chi/v5"
)

// Routes returns every route of the API, to be mounted at /api/v1. The
// whole API is listed here so that it can be read at once.
func (a *API) Routes() http.Handler {
	r := chi.NewRouter()
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { writeError(w, r, errNotFound) })
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, newProblem(http.StatusMethodNotAllowed, "method-not-allowed", r.Method+" is not allowed here"))
	})

	// Public: the API's description, sign-up and sign-in.
	r.Get("/openapi.json", a.openAPI)
	r.Post("/users/register", a.register)
	r.Post("/users/login", a.login)
	r.Post("/users/verify-email", a.confirmVerification)

	r.Group(func(r chi.Router) {
		r.Use(a.authenticate)
		r.Post("/users/logout", a.logout)
		r.Get("/users/me", a.getMe)
		r.Get("/users/{id}", a.getUser)
		r.Put("/users/{id}", a.updateUser)
		r.Patch("/users/{id}", a.updateUser)
		r.Delete("/users/{id}", a.deleteUser)
		r.Post("/users/{id}/email-verification", a.requestVerification)
		r.Get("/users/{id}/app-passwords", a.listAppPasswords)
		r.Post("/users/{id}/app-passwords", a.createAppPassword)
		r.Delete("/users/{id}/app-passwords/{name}", a.deleteAppPassword)

		r.Get("/stream", a.stream)

		r.Get("/calendars", a.listCalendars)
		r.Post("/calendars", a.createCalendar)
		r.Get("/calendars/{id}", a.getCalendar)
		r.Put("/calendars/{id}", a.updateCalendar)
		r.Patch("/calendars/{id}", a.updateCalendar)
		r.Delete("/calendars/{id}", a.deleteCalendar)
		r.Post("/calendars/{id}/share", a.share)
		r.Get("/calendars/{id}/collaborators", a.listCollaborators)
		r.Post("/calendars/{id}/collaborators", a.share)
		r.Put("/calendars/{id}/collaborators/{user_id}", a.changeRole)
		r.Patch("/calendars/{id}/collaborators/{user_id}", a.changeRole)
		r.Delete("/calendars/{id}/collaborators/{user_id}", a.removeCollaborator)
		r.Get("/calendars/{id}/events", a.listCalendarEvents)
		r.Get("/calendars/{id}/view", a.view)

		r.Get("/events", a.listOrSearchEvents)
		r.Post("/events", a.createEvent)
		r.Get("/events/{id}", a.getEvent)
		r.Put("/events/{id}", a.updateEvent)
		r.Patch("/events/{id}", a.updateEvent)
		r.Delete("/events/{id}", a.deleteEvent)
		r.Get("/events/{id}/proposals", a.listProposals)
		r.Post("/events/{id}/proposals/{proposal_id}/accept", a.acceptProposal)
		r.Post("/events/{id}/proposals/{proposal_id}/decline", a.declineProposal)

		r.Post("/freebusy", a.freeBusy)

		r.Get("/invitations", a.myInvitations)
		r.Post("/invitations/{event_id}", a.invite)
		r.Get("/invitations/{event_id}", a.listEventInvitations)
		r.Get("/invitations/{event_id}/{id}", a.getInvitation)
		r.Put("/invitations/{event_id}/{id}", a.respond)
		r.Delete("/invitations/{event_id}/{id}", a.removeInvitation)
		r.Post("/invitations/{event_id}/{id}/resend", a.resendInvitation)

		// External calendars: import, export, publishing, subscriptions.
		r.Post("/calendars/{id}/import", a.importCalendar)
		r.Get("/calendars/{id}/export.ics", a.exportCalendar)
		r.Get("/calendars/{id}/publication", a.getPublication)
		r.Put("/calendars/{id}/publication", a.putPublication)
		r.Delete("/calendars/{id}/publication", a.deletePublication)
		r.Post("/calendars/{id}/publication/rotate", a.rotatePublication)
		r.Post("/subscriptions", a.subscribe)
		r.Get("/calendars/{id}/source", a.getSource)
		r.Patch("/calendars/{id}/source", a.updateSource)
		r.Post("/calendars/{id}/source/refresh", a.refreshSource)

		r.Get("/calendars/{id}/default-reminders", a.getDefaultReminders)
		r.Put("/calendars/{id}/default-reminders", a.putDefaultReminders)

		r.Get("/reminder-settings", a.getReminderSettings)
		r.Put("/reminder-settings", a.putReminderSettings)
		r.Get("/reminders/{event_id}", a.listReminders)
		r.Post("/reminders/{event_id}", a.createReminder)
		r.Get("/reminders/{event_id}/{id}", a.getReminder)
		r.Delete("/reminders/{event_id}/{id}", a.deleteReminder)
		r.Post("/reminders/{event_id}/{id}/dismiss", a.dismissReminder)
		r.Post("/reminders/{event_id}/{id}/snooze", a.snoozeReminder)
	})
	return r
}
