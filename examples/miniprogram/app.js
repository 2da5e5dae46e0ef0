// A door-check mini-program: staff scan the door's own venue code once, then each visitor's
// personal code; the pass is decided on the phone, offline, by the venuecode module.
App({});
