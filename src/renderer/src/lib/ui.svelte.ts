/**
 * Where the officer is (the screen), what went wrong (dismissible alerts), and what a screen
 * reader should hear (one polite live region). Every API error ends up here, never as a blank
 * screen.
 */
import { ApiError } from './bridge.ts';
import { errorMessage } from './format.ts';

export const SCREENS = [
  'Model',
  'Documents',
  'Method',
  'Run',
  'Results',
  'Report',
  'History',
  'Settings',
] as const;
export type Screen = (typeof SCREENS)[number];

export interface Alert {
  id: number;
  title: string;
  message: string;
}

class Ui {
  screen = $state<Screen>('Model');
  alerts = $state<Alert[]>([]);
  announcement = $state('');
  #nextId = 1;

  go(screen: Screen): void {
    this.screen = screen;
  }

  /** Shows an error of `what` (e.g. "Loading the model") with the API's message. */
  fail(what: string, error: unknown): void {
    const code = error instanceof ApiError ? ` (${error.code})` : '';
    const message = errorMessage(error);
    this.alerts.push({ id: this.#nextId++, title: `${what} failed${code}`, message });
    this.announce(`${what} failed: ${message}`);
  }

  dismiss(id: number): void {
    this.alerts = this.alerts.filter((a) => a.id !== id);
  }

  announce(text: string): void {
    // Re-setting the same text would not be read again; clear first.
    this.announcement = '';
    setTimeout(() => (this.announcement = text), 50);
  }
}

export const ui = new Ui();

/** Runs an API action, sending its error to the alert list; resolves to null on failure. */
export async function attempt<T>(what: string, action: () => Promise<T>): Promise<T | null> {
  try {
    return await action();
  } catch (error) {
    ui.fail(what, error);
    return null;
  }
}
