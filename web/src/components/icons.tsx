import "./icons.css";

// A few inline icons (no icon font, no remote assets). Decorative: hidden from assistive technology.

const base = { width: 16, height: 16, viewBox: "0 0 24 24", fill: "none", stroke: "currentColor", strokeWidth: 2, strokeLinecap: "round", strokeLinejoin: "round", "aria-hidden": true, focusable: false } as const;

export const LockIcon = () => (
  <svg {...base} className="icon">
    <rect x="4" y="11" width="16" height="10" rx="2" />
    <path d="M8 11V7a4 4 0 0 1 8 0v4" />
  </svg>
);

export const HomeIcon = () => (
  <svg {...base} className="icon">
    <path d="M3 11l9-8 9 8" />
    <path d="M5 10v10h14V10" />
  </svg>
);

export const PlugIcon = () => (
  <svg {...base} className="icon">
    <path d="M9 2v6M15 2v6" />
    <path d="M6 8h12v4a6 6 0 0 1-12 0z" />
    <path d="M12 18v4" />
  </svg>
);

export const FlowIcon = () => (
  <svg {...base} className="icon">
    <circle cx="5" cy="12" r="3" />
    <circle cx="19" cy="12" r="3" />
    <path d="M8 12h8" />
    <path d="M13 9l3 3-3 3" />
  </svg>
);

export const UsersIcon = () => (
  <svg {...base} className="icon">
    <circle cx="9" cy="8" r="4" />
    <path d="M2 21c0-4 3-7 7-7s7 3 7 7" />
    <path d="M17 4a4 4 0 0 1 0 8M22 21c0-3-2-5.5-5-6.5" />
  </svg>
);

export const KeyIcon = () => (
  <svg {...base} className="icon">
    <circle cx="7.5" cy="15.5" r="4.5" />
    <path d="M10.7 12.3L21 2M16 7l3 3M18 5l2 2" />
  </svg>
);

export const SignOutIcon = () => (
  <svg {...base} className="icon">
    <path d="M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4" />
    <path d="M16 17l5-5-5-5M21 12H9" />
  </svg>
);

export const ArrowIcon = () => (
  <svg {...base} className="icon">
    <path d="M5 12h14M13 6l6 6-6 6" />
  </svg>
);

export const Logo = () => (
  <svg width="28" height="28" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
    <rect width="32" height="32" rx="8" fill="#3b6cf6" />
    <circle cx="10" cy="16" r="4" fill="#fff" />
    <circle cx="22" cy="10" r="3" fill="#cfe0ff" />
    <circle cx="22" cy="22" r="3" fill="#cfe0ff" />
    <path d="M13.5 14.5L19.5 11M13.5 17.5L19.5 21" stroke="#fff" strokeWidth="2" strokeLinecap="round" />
  </svg>
);

export const ClockIcon = () => (
  <svg {...base} className="icon">
    <circle cx="12" cy="12" r="9" />
    <path d="M12 7v5l3 2" />
  </svg>
);

export const ReportIcon = () => (
  <svg {...base} className="icon">
    <path d="M6 3h9l4 4v14H6z" />
    <path d="M9 13h7M9 17h7M9 9h3" />
  </svg>
);

export const ListIcon = () => (
  <svg {...base} className="icon">
    <path d="M9 6h11M9 12h11M9 18h11" />
    <circle cx="4.5" cy="6" r="1" />
    <circle cx="4.5" cy="12" r="1" />
    <circle cx="4.5" cy="18" r="1" />
  </svg>
);

export const InboxIcon = () => (
  <svg {...base} className="icon">
    <path d="M3 13l3-8h12l3 8v6H3z" />
    <path d="M3 13h5l1 3h6l1-3h5" />
  </svg>
);
