// The pages' own words in English, Spanish and French.  The language comes
// from ?lang=, then the visitor's choice (the switch, kept in
// localStorage), then navigator.languages (what the browser sends as
// Accept-Language), else English.  Text from the API (answers, service
// names) is shown as the clinic wrote it.

const STRINGS = {
    en: {
        appName: 'Clinic concierge', language: 'Language', skip: 'Skip to content',
        loading: 'Loading…', tryAgain: 'Try again', back: 'Back', continue: 'Continue',
        change: 'Change', errorTitle: 'There is a problem',
        networkError: "We couldn't reach the clinic. Check your connection and try again.",
        timesIn: "Times are in the clinic's time zone: {zone}.",
        navChat: 'Chat', navBook: 'Book an appointment',
        chatTitle: 'Ask the clinic',
        chatIntro: "Ask about treatments, prices, opening hours or booking. Answers come only from the clinic's own information; anything about your health goes to a person on our team.",
        messageLabel: 'Your message', send: 'Send', startAgain: 'Start again',
        cleared: 'The conversation was cleared.', you: 'You', bot: 'Concierge', staff: 'Clinic team',
        sources: 'Where this answer comes from', sending: 'Sending…',
        staffAway: 'Our team is not available right now.',
        staffAwayNext: 'Our team is not available right now. They will next reply on {when} ({zone}).',
        staffAwayAsk: "You can still ask: answers come from the clinic's information, and our team picks up anything else when they are back.",
        staffNext: 'Our team will reply here when they are next available: {when} ({zone}).',
        waitingStaff: 'Waiting for our team. Their reply will appear here; you do not need to reload the page.',
        staffReplied: 'New reply from the clinic team',
        emergencyTitle: 'This may be an emergency',
        emergencyText: 'Call emergency services now. Do not wait for a reply here.',
        emergencyCall: 'Call {number}',
        contactStaff: 'Ask our team', contactStaffMsg: 'Please pass my question to a member of your team.',
        bookAt: 'Book {when}', chooseService: 'Choose a treatment', pay: 'Pay now',
        expired: 'Your previous conversation has expired. You can start a new one below.',
        sendFailed: 'Your message was not sent.', close: 'Close chat',
        bookTitle: 'Book an appointment', stepService: 'Which treatment would you like?',
        stepTime: 'When would you like to come?', stepDetails: 'Your details', stepConfirm: 'Check your booking',
        stepOf: 'Step {n} of 4', day: 'Day', time: 'Time', noSlots: 'There are no free times on these days.',
        earlier: 'Earlier days', later: 'Later days', name: 'Full name', email: 'Email address',
        emailHint: 'We send your confirmation to this address.', phone: 'Phone number (optional)',
        errName: 'Enter your full name',
        errEmail: 'Enter an email address in the correct format, like name@example.com',
        errService: 'Choose a treatment', errDay: 'Choose a day', errSlot: 'Choose a time',
        treatment: 'Treatment', when: 'Date and time', price: 'Price', free: 'Free',
        minutes: '{n} minutes', payOnBooking: 'Paid when booking',
        confirmBook: 'Book appointment', confirmBookPay: 'Book and pay', booking: 'Booking…',
        slotTaken: 'Sorry, that time has just been taken. Choose one of the nearest free times.',
        booked: 'Your appointment is booked', redirecting: 'Taking you to the secure payment page…',
        manageLink: 'Manage your booking',
        manageKeep: 'Keep this link: it lets you change or cancel your booking, so do not share it.',
        bookingRef: 'Booking number', statusLabel: 'Status',
        status_confirmed: 'Confirmed', status_pending_payment: 'Waiting for payment',
        status_cancelled: 'Cancelled', status_expired: 'Released (not paid in time)',
        status_completed: 'Completed', status_no_show: 'Missed',
        payFailed: 'Payment could not be started right now. Your appointment is held until {until}; try again in a minute.',
        payNotConfigured: 'This treatment is paid when booking, but online payment is not set up: the clinic will contact you.',
        doneTitle: 'Your booking',
        donePending: 'We are waiting for your payment to reach the clinic. This page updates by itself.',
        doneConfirmed: 'Payment received: your appointment is confirmed.',
        doneSlow: 'This is taking longer than usual. Your appointment is confirmed as soon as the payment arrives; you can check it any time with your manage link.',
        noToken: 'This booking cannot be shown on this device. Use the manage link from your confirmation.',
        noBooking: 'This page needs a booking number. Use the link from your confirmation.',
        cancelledTitle: 'Payment not completed',
        cancelledText: 'You left the payment page before paying. Your appointment is held until {until}.',
        cancelledGone: 'This appointment is no longer held. Please book again.',
        bookAgain: 'Book again', manageTitle: 'Your booking',
        cancelBooking: 'Cancel appointment', moveBooking: 'Change date or time',
        cancelAsk: 'Do you want to cancel this appointment?', cancelYes: 'Yes, cancel it', keep: 'No, keep it',
        lateWarn: 'It is less than {span} before your appointment: if you cancel now, the payment is kept.',
        cancelledOk: 'Your appointment is cancelled.',
        cancelledLate: 'Your appointment is cancelled. Because it was cancelled late, the payment is kept.',
        moved: 'Your appointment has been moved.', moveConfirm: 'Move to this time',
        rulesTitle: "The clinic's rules",
        ruleCancel: 'You can cancel online until {span} before the appointment.',
        ruleLate_forfeit: 'After that you can still cancel, but the payment is kept.',
        ruleLate_refuse: 'After that, please call the clinic.',
        ruleMove: 'You can change the time online until {span} before the appointment, up to {max} times ({left} left).',
        refused: 'This cannot be done online',
        badLink: 'This link is not complete. Use the manage link from your confirmation.',
        notFound: 'We could not find this booking. Check that you used the whole link.',
        practitioner: 'With', holdUntil: 'Held until', nHours: '{n} hours', nDays: '{n} days',
        refusedMoveCutoff: 'The time can be changed online until {span} before the appointment. Please call the clinic.',
        refusedMoveLimit: 'This booking has been moved the most times allowed ({max}). Please call the clinic.',
    },
    es: {
        appName: 'Conserje de la clínica', language: 'Idioma', skip: 'Saltar al contenido',
        loading: 'Cargando…', tryAgain: 'Intentar de nuevo', back: 'Atrás', continue: 'Continuar',
        change: 'Cambiar', errorTitle: 'Hay un problema',
        networkError: 'No hemos podido contactar con la clínica. Compruebe su conexión e inténtelo de nuevo.',
        timesIn: 'Las horas están en la zona horaria de la clínica: {zone}.',
        navChat: 'Chat', navBook: 'Pedir cita',
        chatTitle: 'Pregunte a la clínica',
        chatIntro: 'Pregunte por tratamientos, precios, horarios o citas. Las respuestas salen solo de la información de la clínica; lo relativo a su salud lo atiende una persona de nuestro equipo.',
        messageLabel: 'Su mensaje', send: 'Enviar', startAgain: 'Empezar de nuevo',
        cleared: 'Se ha borrado la conversación.', you: 'Usted', bot: 'Conserje', staff: 'Equipo de la clínica',
        sources: 'De dónde sale esta respuesta', sending: 'Enviando…',
        staffAway: 'Nuestro equipo no está disponible ahora.',
        staffAwayNext: 'Nuestro equipo no está disponible ahora. Responderá a partir del {when} ({zone}).',
        staffAwayAsk: 'Puede preguntar igualmente: las respuestas salen de la información de la clínica y nuestro equipo atenderá lo demás a su vuelta.',
        staffNext: 'Nuestro equipo responderá aquí en cuanto esté disponible: {when} ({zone}).',
        waitingStaff: 'Esperando a nuestro equipo. Su respuesta aparecerá aquí; no hace falta recargar la página.',
        staffReplied: 'Nueva respuesta del equipo de la clínica',
        emergencyTitle: 'Puede ser una emergencia',
        emergencyText: 'Llame ahora a los servicios de emergencia. No espere una respuesta aquí.',
        emergencyCall: 'Llamar al {number}',
        contactStaff: 'Preguntar a nuestro equipo', contactStaffMsg: 'Por favor, pasen mi pregunta a una persona de su equipo.',
        bookAt: 'Reservar {when}', chooseService: 'Elija un tratamiento', pay: 'Pagar ahora',
        expired: 'Su conversación anterior ha caducado. Puede empezar una nueva abajo.',
        sendFailed: 'Su mensaje no se ha enviado.', close: 'Cerrar el chat',
        bookTitle: 'Pedir cita', stepService: '¿Qué tratamiento desea?',
        stepTime: '¿Cuándo desea venir?', stepDetails: 'Sus datos', stepConfirm: 'Revise su cita',
        stepOf: 'Paso {n} de 4', day: 'Día', time: 'Hora', noSlots: 'No hay horas libres en estos días.',
        earlier: 'Días anteriores', later: 'Días siguientes', name: 'Nombre completo', email: 'Correo electrónico',
        emailHint: 'Le enviaremos la confirmación a esta dirección.', phone: 'Teléfono (opcional)',
        errName: 'Escriba su nombre completo',
        errEmail: 'Escriba un correo electrónico válido, como nombre@ejemplo.com',
        errService: 'Elija un tratamiento', errDay: 'Elija un día', errSlot: 'Elija una hora',
        treatment: 'Tratamiento', when: 'Fecha y hora', price: 'Precio', free: 'Gratis',
        minutes: '{n} minutos', payOnBooking: 'Se paga al reservar',
        confirmBook: 'Reservar cita', confirmBookPay: 'Reservar y pagar', booking: 'Reservando…',
        slotTaken: 'Lo sentimos, esa hora se acaba de ocupar. Elija una de las horas libres más cercanas.',
        booked: 'Su cita está reservada', redirecting: 'Le llevamos a la página de pago seguro…',
        manageLink: 'Gestionar su cita',
        manageKeep: 'Guarde este enlace: con él puede cambiar o cancelar su cita, así que no lo comparta.',
        bookingRef: 'Número de reserva', statusLabel: 'Estado',
        status_confirmed: 'Confirmada', status_pending_payment: 'Pendiente de pago',
        status_cancelled: 'Cancelada', status_expired: 'Liberada (sin pago a tiempo)',
        status_completed: 'Realizada', status_no_show: 'No presentada',
        payFailed: 'Ahora no se puede iniciar el pago. Su cita está reservada hasta {until}; inténtelo en un minuto.',
        payNotConfigured: 'Este tratamiento se paga al reservar, pero el pago en línea no está configurado: la clínica se pondrá en contacto con usted.',
        doneTitle: 'Su cita',
        donePending: 'Esperamos a que el pago llegue a la clínica. Esta página se actualiza sola.',
        doneConfirmed: 'Pago recibido: su cita está confirmada.',
        doneSlow: 'Está tardando más de lo normal. Su cita se confirma en cuanto llegue el pago; puede comprobarlo con su enlace de gestión.',
        noToken: 'Esta cita no se puede mostrar en este dispositivo. Use el enlace de gestión de su confirmación.',
        noBooking: 'Esta página necesita un número de reserva. Use el enlace de su confirmación.',
        cancelledTitle: 'Pago no completado',
        cancelledText: 'Ha salido de la página de pago sin pagar. Su cita está reservada hasta {until}.',
        cancelledGone: 'Esta cita ya no está reservada. Vuelva a reservar, por favor.',
        bookAgain: 'Reservar de nuevo', manageTitle: 'Su cita',
        cancelBooking: 'Cancelar la cita', moveBooking: 'Cambiar fecha u hora',
        cancelAsk: '¿Desea cancelar esta cita?', cancelYes: 'Sí, cancelarla', keep: 'No, mantenerla',
        lateWarn: 'Faltan menos de {span} para su cita: si la cancela ahora, no se devuelve el pago.',
        cancelledOk: 'Su cita está cancelada.',
        cancelledLate: 'Su cita está cancelada. Como se ha cancelado tarde, no se devuelve el pago.',
        moved: 'Su cita se ha cambiado.', moveConfirm: 'Cambiar a esta hora',
        rulesTitle: 'Normas de la clínica',
        ruleCancel: 'Puede cancelar en línea hasta {span} antes de la cita.',
        ruleLate_forfeit: 'Después aún puede cancelar, pero no se devuelve el pago.',
        ruleLate_refuse: 'Después, llame a la clínica.',
        ruleMove: 'Puede cambiar la hora en línea hasta {span} antes de la cita, hasta {max} veces (le quedan {left}).',
        refused: 'No se puede hacer en línea',
        badLink: 'Este enlace no está completo. Use el enlace de gestión de su confirmación.',
        notFound: 'No encontramos esta cita. Compruebe que ha usado el enlace completo.',
        practitioner: 'Con', holdUntil: 'Reservada hasta', nHours: '{n} horas', nDays: '{n} días',
        refusedMoveCutoff: 'La hora se puede cambiar en línea hasta {span} antes de la cita. Llame a la clínica, por favor.',
        refusedMoveLimit: 'Esta cita ya se ha cambiado el máximo de veces permitido ({max}). Llame a la clínica, por favor.',
    },
    fr: {
        appName: 'Concierge de la clinique', language: 'Langue', skip: 'Aller au contenu',
        loading: 'Chargement…', tryAgain: 'Réessayer', back: 'Retour', continue: 'Continuer',
        change: 'Modifier', errorTitle: 'Il y a un problème',
        networkError: "Impossible de joindre la clinique. Vérifiez votre connexion et réessayez.",
        timesIn: 'Les heures sont dans le fuseau horaire de la clinique : {zone}.',
        navChat: 'Discussion', navBook: 'Prendre rendez-vous',
        chatTitle: 'Posez votre question à la clinique',
        chatIntro: "Posez vos questions sur les soins, les prix, les horaires ou les rendez-vous. Les réponses viennent uniquement des informations de la clinique ; tout ce qui concerne votre santé est confié à une personne de notre équipe.",
        messageLabel: 'Votre message', send: 'Envoyer', startAgain: 'Recommencer',
        cleared: 'La conversation a été effacée.', you: 'Vous', bot: 'Concierge', staff: 'Équipe de la clinique',
        sources: "D'où vient cette réponse", sending: 'Envoi…',
        staffAway: "Notre équipe n'est pas disponible pour le moment.",
        staffAwayNext: "Notre équipe n'est pas disponible pour le moment. Elle répondra à partir du {when} ({zone}).",
        staffAwayAsk: "Vous pouvez quand même poser votre question : les réponses viennent des informations de la clinique, et notre équipe traitera le reste à son retour.",
        staffNext: 'Notre équipe répondra ici dès qu’elle sera disponible : {when} ({zone}).',
        waitingStaff: "En attente de notre équipe. Sa réponse s'affichera ici ; inutile de recharger la page.",
        staffReplied: "Nouvelle réponse de l'équipe de la clinique",
        emergencyTitle: 'Il peut s’agir d’une urgence',
        emergencyText: "Appelez les secours maintenant. N'attendez pas de réponse ici.",
        emergencyCall: 'Appeler le {number}',
        contactStaff: 'Demander à notre équipe', contactStaffMsg: "Merci de transmettre ma question à une personne de votre équipe.",
        bookAt: 'Réserver {when}', chooseService: 'Choisir un soin', pay: 'Payer maintenant',
        expired: 'Votre conversation précédente a expiré. Vous pouvez en commencer une nouvelle ci-dessous.',
        sendFailed: "Votre message n'a pas été envoyé.", close: 'Fermer la discussion',
        bookTitle: 'Prendre rendez-vous', stepService: 'Quel soin souhaitez-vous ?',
        stepTime: 'Quand souhaitez-vous venir ?', stepDetails: 'Vos coordonnées', stepConfirm: 'Vérifiez votre rendez-vous',
        stepOf: 'Étape {n} sur 4', day: 'Jour', time: 'Heure', noSlots: "Il n'y a pas de créneau libre ces jours-là.",
        earlier: 'Jours précédents', later: 'Jours suivants', name: 'Nom complet', email: 'Adresse e-mail',
        emailHint: 'Nous envoyons la confirmation à cette adresse.', phone: 'Téléphone (facultatif)',
        errName: 'Saisissez votre nom complet',
        errEmail: 'Saisissez une adresse e-mail valide, comme nom@exemple.fr',
        errService: 'Choisissez un soin', errDay: 'Choisissez un jour', errSlot: 'Choisissez une heure',
        treatment: 'Soin', when: 'Date et heure', price: 'Prix', free: 'Gratuit',
        minutes: '{n} minutes', payOnBooking: 'Payé à la réservation',
        confirmBook: 'Réserver', confirmBookPay: 'Réserver et payer', booking: 'Réservation…',
        slotTaken: 'Désolé, ce créneau vient d’être pris. Choisissez l’un des créneaux libres les plus proches.',
        booked: 'Votre rendez-vous est réservé', redirecting: 'Redirection vers la page de paiement sécurisé…',
        manageLink: 'Gérer votre rendez-vous',
        manageKeep: 'Gardez ce lien : il permet de modifier ou d’annuler votre rendez-vous, ne le partagez pas.',
        bookingRef: 'Numéro de réservation', statusLabel: 'Statut',
        status_confirmed: 'Confirmé', status_pending_payment: 'En attente de paiement',
        status_cancelled: 'Annulé', status_expired: 'Libéré (non payé à temps)',
        status_completed: 'Effectué', status_no_show: 'Manqué',
        payFailed: 'Le paiement ne peut pas démarrer pour le moment. Votre rendez-vous est retenu jusqu’à {until} ; réessayez dans une minute.',
        payNotConfigured: "Ce soin se paie à la réservation, mais le paiement en ligne n'est pas configuré : la clinique vous contactera.",
        doneTitle: 'Votre rendez-vous',
        donePending: 'Nous attendons que votre paiement parvienne à la clinique. Cette page se met à jour toute seule.',
        doneConfirmed: 'Paiement reçu : votre rendez-vous est confirmé.',
        doneSlow: 'Cela prend plus de temps que d’habitude. Votre rendez-vous sera confirmé dès réception du paiement ; vérifiez-le avec votre lien de gestion.',
        noToken: 'Ce rendez-vous ne peut pas être affiché sur cet appareil. Utilisez le lien de gestion de votre confirmation.',
        noBooking: 'Cette page a besoin d’un numéro de réservation. Utilisez le lien de votre confirmation.',
        cancelledTitle: 'Paiement non effectué',
        cancelledText: 'Vous avez quitté la page de paiement sans payer. Votre rendez-vous est retenu jusqu’à {until}.',
        cancelledGone: "Ce rendez-vous n'est plus retenu. Merci de réserver à nouveau.",
        bookAgain: 'Réserver à nouveau', manageTitle: 'Votre rendez-vous',
        cancelBooking: 'Annuler le rendez-vous', moveBooking: 'Changer la date ou l’heure',
        cancelAsk: 'Voulez-vous annuler ce rendez-vous ?', cancelYes: 'Oui, l’annuler', keep: 'Non, le garder',
        lateWarn: 'Il reste moins de {span} avant votre rendez-vous : si vous annulez maintenant, le paiement est conservé.',
        cancelledOk: 'Votre rendez-vous est annulé.',
        cancelledLate: 'Votre rendez-vous est annulé. Comme l’annulation est tardive, le paiement est conservé.',
        moved: 'Votre rendez-vous a été déplacé.', moveConfirm: 'Déplacer à cette heure',
        rulesTitle: 'Les règles de la clinique',
        ruleCancel: "Vous pouvez annuler en ligne jusqu'à {span} avant le rendez-vous.",
        ruleLate_forfeit: 'Ensuite, vous pouvez encore annuler, mais le paiement est conservé.',
        ruleLate_refuse: 'Ensuite, appelez la clinique.',
        ruleMove: "Vous pouvez changer l'heure en ligne jusqu'à {span} avant le rendez-vous, {max} fois au plus (encore {left}).",
        refused: 'Impossible en ligne',
        badLink: 'Ce lien est incomplet. Utilisez le lien de gestion de votre confirmation.',
        notFound: 'Rendez-vous introuvable. Vérifiez que vous avez utilisé le lien complet.',
        practitioner: 'Avec', holdUntil: "Retenu jusqu'à", nHours: '{n} heures', nDays: '{n} jours',
        refusedMoveCutoff: "L'heure peut être changée en ligne jusqu'à {span} avant le rendez-vous. Merci d'appeler la clinique.",
        refusedMoveLimit: "Ce rendez-vous a déjà été déplacé le nombre maximal de fois ({max}). Merci d'appeler la clinique.",
    },
};

export const LANGS = [['en', 'English'], ['es', 'Español'], ['fr', 'Français']];
const KEY = 'cc.lang';
let lang = 'en';
const listeners = [];

function supported(l) {
    const base = String(l || '').toLowerCase().split('-')[0];
    return STRINGS[base] ? base : null;
}

export function pickLang() {
    const q = supported(new URLSearchParams(window.location.search).get('lang'));
    let stored = null;
    try {
        stored = supported(window.localStorage.getItem(KEY));
    } catch (e) {
        stored = null;
    }
    let nav = null;
    for (const l of navigator.languages || [navigator.language]) {
        nav = supported(l);
        if (nav) {
            break;
        }
    }
    return q || stored || nav || 'en';
}

export function setLang(l, remember) {
    lang = supported(l) || 'en';
    document.documentElement.lang = lang;
    if (remember) {
        try {
            window.localStorage.setItem(KEY, lang);
        } catch (e) {
            /* ignore */
        }
    }
    for (const fn of listeners) {
        fn(lang);
    }
}

export function currentLang() {
    return lang;
}

export function onLang(fn) {
    listeners.push(fn);
}

export function t(key, vars) {
    let s = (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.en[key] || key;
    if (vars) {
        s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] !== undefined ? String(vars[k]) : m));
    }
    return s;
}

// ---- dates, times and money in the clinic's zone -------------------------

// The visitor's own variant of the chosen language (en-GB: 24-hour
// times, day before month), else the language itself.
function locale() {
    for (const l of navigator.languages || [navigator.language]) {
        if (String(l || '').toLowerCase().split('-')[0] === lang) {
            return l;
        }
    }
    return lang;
}

// 24-hour clocks read "09:00", 12-hour ones "9:00 AM".
function hourStyle() {
    const hc = new Intl.DateTimeFormat(locale(), { hour: 'numeric' }).resolvedOptions().hourCycle;
    return hc === 'h11' || hc === 'h12' ? 'numeric' : '2-digit';
}

function fmt(iso, tz, opts) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) {
        return String(iso);
    }
    try {
        return new Intl.DateTimeFormat(locale(), { ...opts, timeZone: tz || undefined }).format(d);
    } catch (e) {
        return new Intl.DateTimeFormat(locale(), opts).format(d);
    }
}

export function fmtWhen(iso, tz) {
    return fmt(iso, tz, { weekday: 'long', day: 'numeric', month: 'long',
                          hour: hourStyle(), minute: '2-digit' });
}

export function fmtDay(iso, tz) {
    return fmt(iso, tz, { weekday: 'long', day: 'numeric', month: 'long' });
}

export function fmtDayShort(iso, tz) {
    return fmt(iso, tz, { weekday: 'short', day: 'numeric', month: 'short' });
}

export function fmtTime(iso, tz) {
    return fmt(iso, tz, { hour: hourStyle(), minute: '2-digit' });
}

function abbrOf(tz, iso) {
    try {
        const parts = new Intl.DateTimeFormat(locale(), { timeZone: tz, timeZoneName: 'short' })
            .formatToParts(iso ? new Date(iso) : new Date());
        return (parts.find((p) => p.type === 'timeZoneName') || {}).value || '';
    } catch (e) {
        return '';
    }
}

// "Europe/London (GMT)": the zone's name and its abbreviation at that time;
// over a range that crosses a clock change, both ("GMT/BST").
export function zoneLabel(tz, iso, isoLast) {
    if (!tz) {
        return '';
    }
    let abbr = abbrOf(tz, iso);
    const last = isoLast ? abbrOf(tz, isoLast) : abbr;
    if (last && last !== abbr) {
        abbr = `${abbr}/${last}`;
    }
    const name = tz.replace(/_/g, ' ');
    return abbr && abbr !== tz ? `${name} (${abbr})` : name;
}

export function fmtMoney(cents, currency) {
    if (!cents) {
        return t('free');
    }
    try {
        return new Intl.NumberFormat(locale(), { style: 'currency', currency: currency || 'GBP' })
            .format(cents / 100);
    } catch (e) {
        return `${(cents / 100).toFixed(2)} ${currency || ''}`;
    }
}

// Today's date (YYYY-MM-DD) in a zone.
export function todayIn(tz) {
    const parts = new Intl.DateTimeFormat('en-CA', { timeZone: tz || undefined, year: 'numeric',
                                                     month: '2-digit', day: '2-digit' })
        .formatToParts(new Date());
    const get = (k) => (parts.find((p) => p.type === k) || {}).value;
    return `${get('year')}-${get('month')}-${get('day')}`;
}

export function addDays(ymd, n) {
    const d = new Date(`${ymd}T12:00:00Z`);
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
}

// A cut-off in minutes as words: "48 hours", "30 days".
export function span(min) {
    const m = Number(min) || 0;
    if (m >= 2880 && m % 1440 === 0) {
        return t('nDays', { n: m / 1440 });
    }
    return t('nHours', { n: Math.round((m / 60) * 10) / 10 });
}
