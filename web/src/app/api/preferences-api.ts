import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type { UpdateUserPreferencesRequest, UserPreferencesDto } from '@rpi-deploy/contracts';
import type { Observable } from 'rxjs';

/** The signed-in user's own preferences (`/api/users/me/preferences`), kept on the server. */
@Injectable({ providedIn: 'root' })
export class PreferencesApi {
  private readonly http = inject(HttpClient);

  get(): Observable<UserPreferencesDto> {
    return this.http.get<UserPreferencesDto>('/api/users/me/preferences');
  }

  update(changes: UpdateUserPreferencesRequest): Observable<UserPreferencesDto> {
    return this.http.put<UserPreferencesDto>('/api/users/me/preferences', changes);
  }
}
