import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { takeUntilDestroyed } from '@angular/core/rxjs-interop';
import { MatButtonModule } from '@angular/material/button';
import { MatDialog } from '@angular/material/dialog';
import { MatProgressBarModule } from '@angular/material/progress-bar';
import { MatSnackBar } from '@angular/material/snack-bar';
import {
  PRODUCT_CODES,
  PRODUCT_NAMES,
  SOCKET_EVENTS,
  type CanaryDto,
  type ImageConversionDto,
  type ImageRecompressionDto,
  type ImageDto,
  type ImageProgressEvent,
  type ProductCode,
} from '@rpi-deploy/contracts';
import { debounceTime, filter, merge, Subject, switchMap } from 'rxjs';
import { ImagesApi } from '../api/images-api';
import { AuthService } from '../auth/auth.service';
import { apiErrorMessage } from '../http/api-error-message';
import { Loadable } from '../http/loadable';
import { formatSize } from '../format/units';
import { LiveSocket } from '../live/live-socket';
import { confirmAction } from '../shared/confirm-dialog';
import { Notice } from '../shared/notice';
import { GeneraliseDialog } from './generalise-dialog';
import { ImageCanary, type CanaryAction } from './image-canary';
import { ImageChangesDialog, type ImageChangesDialogData } from './image-changes-dialog';
import { ReleaseNotesDialog, type ReleaseNotesDialogData } from './release-notes-dialog';
import { ImageUploadForm } from './image-upload-form';
import { ImageVersionsTable, type ImageAction } from './image-versions-table';

@Component({
  selector: 'app-images-page',
  imports: [ImageCanary, ImageUploadForm, ImageVersionsTable, MatButtonModule, MatProgressBarModule, Notice],
  templateUrl: './images-page.html',
  styleUrl: './images-page.scss',
  changeDetection: ChangeDetectionStrategy.OnPush,
})
export class ImagesPage {
  private readonly api = inject(ImagesApi);
  private readonly dialog = inject(MatDialog);
  private readonly snackBar = inject(MatSnackBar);
  private readonly auth = inject(AuthService);

  protected readonly canChange = computed(() => this.auth.hasRole('operator'));
  protected readonly products = PRODUCT_CODES;
  protected readonly productNames = PRODUCT_NAMES;
  protected readonly images = new Loadable<ImageDto[]>(() => this.api.list(), []);
  protected readonly canaries = new Loadable<CanaryDto[]>(() => this.api.canaries(), []);
  /** Why the last activation, rollback or deletion failed (the upload form shows its own errors). */
  protected readonly actionError = signal<string | null>(null);
  /** This user changed the images: the list is out of date. */
  private readonly changedHere = new Subject<void>();
  /** Uploads the server is receiving right now (from any user), by upload id. */
  protected readonly incoming = signal<ReadonlyMap<string, ImageProgressEvent>>(new Map());
  protected readonly incomingList = computed(() => [...this.incoming().values()]);
  protected readonly bytes = formatSize;
  /** Conversions into chunks, from the live events, by image id. */
  protected readonly conversions = signal<ReadonlyMap<number, ImageConversionDto>>(new Map());
  /** Background recompressions of captured chunks, from the live events, by image id. */
  protected readonly recompressions = signal<ReadonlyMap<number, ImageRecompressionDto>>(new Map());

  constructor() {
    this.images.reload();
    this.canaries.reload();
    const live = inject(LiveSocket);
    // The server announces every change, ours included, so our own change and its announcement
    // arrive together: one reload serves both. Another user's change arrives by the socket alone;
    // ours still reloads if the socket is down.
    merge(this.changedHere, live.on(SOCKET_EVENTS.imagesChanged))
      .pipe(debounceTime(300), takeUntilDestroyed())
      .subscribe(() => {
        this.images.reload();
        this.canaries.reload();
      });
    // How the canary units are doing moves with their deployments.
    live
      .on(SOCKET_EVENTS.deploymentsUpdated)
      .pipe(
        filter(() => this.canaries.value().length > 0),
        debounceTime(1000),
        takeUntilDestroyed(),
      )
      .subscribe(() => this.canaries.reload());
    live
      .on<ImageProgressEvent>(SOCKET_EVENTS.imageProgress)
      .pipe(takeUntilDestroyed())
      .subscribe((event) =>
        this.incoming.update((incoming) => {
          const next = new Map(incoming);
          if (event.stage === 'receiving') next.set(event.uploadId, event);
          else next.delete(event.uploadId);
          return next;
        }),
      );
    live
      .on<ImageConversionDto>(SOCKET_EVENTS.imageConversion)
      .pipe(takeUntilDestroyed())
      .subscribe((event) => this.conversions.update((conversions) => new Map(conversions).set(event.imageId, event)));
    live
      .on<ImageRecompressionDto>(SOCKET_EVENTS.imageRecompression)
      .pipe(takeUntilDestroyed())
      .subscribe((event) => this.recompressions.update((states) => new Map(states).set(event.imageId, event)));
  }

  protected imagesOf(product: ProductCode): ImageDto[] {
    return this.images.value().filter((image) => image.product === product);
  }

  protected canaryOf(product: ProductCode): CanaryDto | undefined {
    return this.canaries.value().find((canary) => canary.product === product);
  }

  protected canaryAct(action: CanaryAction): void {
    const request =
      action.kind === 'start'
        ? this.api.startCanary(action.imageId, { units: action.units })
        : this.api.endCanary(action.product, action.kind);
    const said = {
      start: (canary: CanaryDto) => `${canary.product} ${canary.version} goes to the next ${canary.units} units`,
      promote: (canary: CanaryDto) => `${canary.product} ${canary.version} is now active for everyone`,
      abandon: (canary: CanaryDto) => `${canary.product} canary abandoned: everyone stays on the active version`,
    }[action.kind];
    request.subscribe({
      next: (canary) => this.done(said(canary)),
      error: (error: unknown) => this.actionError.set(apiErrorMessage(error)),
    });
  }

  protected uploaded(): void {
    this.changedHere.next();
  }

  protected act({ image, action }: ImageAction): void {
    const name = `${image.product} ${image.version}`;
    if (action === 'notes' || action === 'changes' || action === 'generalise') return this.openRelease(image, action);
    if (action === 'convert') {
      this.api.convert(image.id).subscribe({
        next: (conversion) => {
          this.actionError.set(null);
          // A live event may have overtaken this answer: keep the newer state it brought.
          this.conversions.update((conversions) =>
            ['queued', 'running'].includes(conversions.get(image.id)?.state ?? '')
              ? conversions
              : new Map(conversions).set(image.id, conversion),
          );
        },
        error: (error: unknown) => this.actionError.set(apiErrorMessage(error)),
      });
      return;
    }
    if (action === 'activate') {
      this.api.activate(image.id).subscribe({
        next: () => this.done(`${name} is now active: new units get it`),
        error: (error: unknown) => this.actionError.set(apiErrorMessage(error)),
      });
      return;
    }
    confirmAction(this.dialog, {
      title: `Delete ${name}?`,
      message: 'The image file and its block map are deleted from the server. This cannot be undone.',
      confirmLabel: 'Delete',
    })
      .pipe(
        filter(Boolean),
        switchMap(() => this.api.remove(image.id)),
      )
      .subscribe({
        next: () => this.done(`${name} deleted`),
        error: (error: unknown) => this.actionError.set(apiErrorMessage(error)),
      });
  }

  private openRelease(image: ImageDto, action: 'notes' | 'changes' | 'generalise'): void {
    if (action === 'notes') {
      this.dialog
        .open<ReleaseNotesDialog, ReleaseNotesDialogData, string | false>(ReleaseNotesDialog, {
          data: { image, canChange: this.canChange() },
          width: '720px',
        })
        .afterClosed()
        .pipe(filter((notes): notes is string => typeof notes === 'string'))
        .subscribe((notes) => {
          // Opened again before the list has reloaded, the dialog must already show these notes.
          this.images.update((images) =>
            images.map((other) => (other.id === image.id ? { ...other, notes: notes.trim() ? notes : null } : other)),
          );
          this.done(`Release notes of ${image.product} ${image.version} saved`);
        });
    } else if (action === 'changes') {
      const others = this.imagesOf(image.product).filter((other) => other.id !== image.id);
      this.dialog.open<ImageChangesDialog, ImageChangesDialogData>(ImageChangesDialog, {
        data: { image, others },
        width: '720px',
      });
    } else {
      this.dialog
        .open<GeneraliseDialog, ImageDto, ImageDto>(GeneraliseDialog, { data: image, width: '720px' })
        .afterClosed()
        .pipe(filter((stored): stored is ImageDto => stored !== undefined))
        .subscribe((stored) =>
          this.done(`${stored.product} ${stored.version} stored: generalised from ${image.version}`),
        );
    }
  }

  protected rollback(product: ProductCode): void {
    confirmAction(this.dialog, {
      title: `Roll back ${product}?`,
      message: `The ${product} image that was active before the current one becomes active again.`,
      confirmLabel: 'Roll back',
    })
      .pipe(
        filter(Boolean),
        switchMap(() => this.api.rollback(product)),
      )
      .subscribe({
        next: (image) => this.done(`${image.product} ${image.version} is active again`),
        error: (error: unknown) => this.actionError.set(apiErrorMessage(error)),
      });
  }

  private done(message: string): void {
    this.actionError.set(null);
    this.snackBar.open(message, 'OK', { duration: 5000 });
    this.changedHere.next();
  }
}
