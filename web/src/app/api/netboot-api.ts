import { HttpClient } from '@angular/common/http';
import { inject, Injectable } from '@angular/core';
import type {
  CaptureMarkDto,
  CaptureMarkRequest,
  NetbootDeviceDto,
  NetbootEventDto,
  NetbootStatusDto,
  PreflightReportDto,
} from '@rpi-deploy/contracts';
import type { Observable } from 'rxjs';

/** dnsmasq, the TFTP root and units seen booting (`/api/netboot`). */
@Injectable({ providedIn: 'root' })
export class NetbootApi {
  private readonly http = inject(HttpClient);

  status(): Observable<NetbootStatusDto> {
    return this.http.get<NetbootStatusDto>('/api/netboot/status');
  }

  preflight(): Observable<PreflightReportDto> {
    return this.http.get<PreflightReportDto>('/api/netboot/preflight');
  }

  /** The generated dnsmasq configuration, as text. */
  dnsmasqConfig(): Observable<string> {
    return this.http.get('/api/netboot/dnsmasq-config', { responseType: 'text' });
  }

  devices(): Observable<NetbootDeviceDto[]> {
    return this.http.get<NetbootDeviceDto[]>('/api/netboot/devices');
  }

  /** Newest first. */
  events(): Observable<NetbootEventDto[]> {
    return this.http.get<NetbootEventDto[]>('/api/netboot/events');
  }

  /** Units whose next netboot captures their card. */
  captures(): Observable<CaptureMarkDto[]> {
    return this.http.get<CaptureMarkDto[]>('/api/netboot/captures');
  }

  markCapture(serial: string, mark: CaptureMarkRequest): Observable<CaptureMarkDto> {
    return this.http.put<CaptureMarkDto>(`/api/netboot/units/${encodeURIComponent(serial)}/capture`, mark);
  }

  clearCapture(serial: string): Observable<void> {
    return this.http.delete<void>(`/api/netboot/units/${encodeURIComponent(serial)}/capture`);
  }
}
