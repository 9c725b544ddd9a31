'use client';

import { closestCenter, DndContext, KeyboardSensor, MouseSensor, TouchSensor, useSensor, useSensors, type DragEndEvent } from '@dnd-kit/core';
import { arrayMove, SortableContext, sortableKeyboardCoordinates, useSortable, verticalListSortingStrategy } from '@dnd-kit/sortable';
import { CSS } from '@dnd-kit/utilities';
import type { KeyboardEvent, ReactNode } from 'react';

export type RankingState = { order: number[]; tiedWithAbove: number[] };

/** Tie groups (best first) from an order plus "tied with the one above" marks. */
export function rankingGroups(state: RankingState): number[][] {
  const groups: number[][] = [];
  state.order.forEach((id, i) => {
    if (i > 0 && state.tiedWithAbove.includes(id)) groups[groups.length - 1]!.push(id);
    else groups.push([id]);
  });
  return groups;
}

export function stateFromGroups(groups: number[][]): RankingState {
  return { order: groups.flat(), tiedWithAbove: groups.flatMap((g) => g.slice(1)) };
}

type Props = {
  state: RankingState;
  onChange: (state: RankingState) => void;
  labels: Map<number, string>;
  render: (id: number) => ReactNode;
};

/**
 * Ranking by drag and drop (dnd-kit: mouse, touch and keyboard sensors) and fully by keyboard:
 * Alt+↑/↓ moves the card holding focus, T ties a focused card with the card above; the buttons do the same.
 */
export function RankingBoard({ state, onChange, labels, render }: Props) {
  // Mouse and touch apart (dnd-kit's advice): on a phone a card's handle drags after a short press, and the page still scrolls.
  const sensors = useSensors(
    useSensor(MouseSensor, { activationConstraint: { distance: 4 } }),
    useSensor(TouchSensor, { activationConstraint: { delay: 150, tolerance: 8 } }),
    useSensor(KeyboardSensor, { coordinateGetter: sortableKeyboardCoordinates }),
  );
  const groups = rankingGroups(state);
  const rankOf = new Map<number, number>();
  groups.forEach((g, i) => g.forEach((id) => rankOf.set(id, i + 1)));

  const move = (id: number, delta: number) => {
    const from = state.order.indexOf(id);
    const to = from + delta;
    if (to < 0 || to >= state.order.length) return;
    const order = arrayMove(state.order, from, to);
    // The card now on top cannot be tied with nothing.
    onChange({ order, tiedWithAbove: state.tiedWithAbove.filter((t) => t !== order[0]) });
    requestAnimationFrame(() => document.getElementById(`rank-card-${id}`)?.focus());
  };
  const toggleTie = (id: number) => {
    if (state.order.indexOf(id) === 0) return;
    onChange({ ...state, tiedWithAbove: state.tiedWithAbove.includes(id) ? state.tiedWithAbove.filter((t) => t !== id) : [...state.tiedWithAbove, id] });
  };
  const onDragEnd = (event: DragEndEvent) => {
    const { active, over } = event;
    if (!over || active.id === over.id) return;
    const order = arrayMove(state.order, state.order.indexOf(Number(active.id)), state.order.indexOf(Number(over.id)));
    onChange({ order, tiedWithAbove: state.tiedWithAbove.filter((t) => t !== order[0]) });
  };

  return (
    <DndContext sensors={sensors} collisionDetection={closestCenter} onDragEnd={onDragEnd}>
      <SortableContext items={state.order} strategy={verticalListSortingStrategy}>
        <ol aria-label="Ranking, best first" className="space-y-2">
          {state.order.map((id, index) => (
            <SortableCard
              key={id}
              id={id}
              label={labels.get(id) ?? String(id)}
              rank={rankOf.get(id) ?? index + 1}
              first={index === 0}
              last={index === state.order.length - 1}
              tied={state.tiedWithAbove.includes(id)}
              onMove={(d) => move(id, d)}
              onToggleTie={() => toggleTie(id)}
            >
              {render(id)}
            </SortableCard>
          ))}
        </ol>
      </SortableContext>
    </DndContext>
  );
}

function SortableCard({
  id,
  label,
  rank,
  first,
  last,
  tied,
  onMove,
  onToggleTie,
  children,
}: {
  id: number;
  label: string;
  rank: number;
  first: boolean;
  last: boolean;
  tied: boolean;
  onMove: (delta: number) => void;
  onToggleTie: () => void;
  children: ReactNode;
}) {
  const { attributes, listeners, setNodeRef, setActivatorNodeRef, transform, transition, isDragging } = useSortable({ id });
  const onKeyDown = (e: KeyboardEvent<HTMLLIElement>) => {
    // Alt+↑/↓ from anywhere on the card (its ratings too); T on the card itself.
    if (e.altKey && e.key === 'ArrowUp') {
      e.preventDefault();
      onMove(-1);
    } else if (e.altKey && e.key === 'ArrowDown') {
      e.preventDefault();
      onMove(1);
    } else if ((e.key === 't' || e.key === 'T') && e.target === e.currentTarget) {
      e.preventDefault();
      onToggleTie();
    }
  };
  return (
    <li
      ref={setNodeRef}
      id={`rank-card-${id}`}
      tabIndex={0}
      data-response=""
      aria-label={`Response ${label}, rank ${rank}${tied ? ', tied with the one above' : ''}`}
      onKeyDown={onKeyDown}
      style={{ transform: CSS.Transform.toString(transform), transition }}
      className={`rounded-lg border bg-white p-3 shadow-sm ${tied ? 'ml-6 border-amber-300' : 'border-slate-200'} ${isDragging ? 'opacity-70 ring-2 ring-indigo-400' : ''}`}
    >
      <div className="mb-2 flex flex-wrap items-center gap-2 text-sm">
        <button type="button" ref={setActivatorNodeRef} {...attributes} {...listeners} aria-label={`Drag response ${label}`} className="cursor-grab touch-manipulation rounded border border-slate-300 px-3 py-1 text-slate-600">
          ⠿
        </button>
        <span className="font-semibold">
          #{rank} · Response {label}
        </span>
        <span className="ml-auto flex items-center gap-1">
          <button type="button" disabled={first} onClick={() => onMove(-1)} aria-label={`Move response ${label} up`} className="rounded border border-slate-300 px-2 py-0.5 disabled:opacity-40">
            ↑
          </button>
          <button type="button" disabled={last} onClick={() => onMove(1)} aria-label={`Move response ${label} down`} className="rounded border border-slate-300 px-2 py-0.5 disabled:opacity-40">
            ↓
          </button>
          <label className="ml-2 flex items-center gap-1 text-xs text-slate-700">
            <input type="checkbox" checked={tied} disabled={first} onChange={onToggleTie} aria-label={`Response ${label} tied with the one above`} />
            tie with above
          </label>
        </span>
      </div>
      {children}
    </li>
  );
}
